/**
 * The distribution of one activation tensor over a calibration run, exact in count and about 3 %
 * in value: positive and negative magnitudes binned by their float32 exponent and top 5 mantissa
 * bits (integer work only, so that millions of values per run cost little). What int8
 * quantization needs from it are ranges that leave out the rarest outliers: one whitening
 * channel reaching 358 where almost every value is below 5 costs the other channels their
 * resolution under min/max.
 */
const MANTISSA_BITS = 5;
const SHIFT = 23 - MANTISSA_BITS;
/** 8 exponent bits + the kept mantissa bits, sign dropped. */
const BINS = 1 << (8 + MANTISSA_BITS);

/** The smallest magnitude that falls into `bin` (the bin's lower edge), as a float. */
function binFloor(bin: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bin << SHIFT);
  return view.getFloat32(0);
}

export class ActivationHistogram {
  min = Infinity;
  max = -Infinity;
  count = 0;
  readonly #positive = new Float64Array(BINS);
  readonly #negative = new Float64Array(BINS);

  add(values: Float32Array): void {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    let { min, max } = this;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < min) min = v;
      if (v > max) max = v;
      const b = bits[i];
      if (b >>> 31) this.#negative[(b & 0x7fffffff) >>> SHIFT]++;
      else this.#positive[b >>> SHIFT]++;
    }
    this.min = min;
    this.max = max;
    this.count += values.length;
  }

  /**
   * [lo, hi] leaving out at most (100 - percentile) % of all values on each side: the magnitude
   * below which that share of the side's tail begins, never beyond min / max.
   */
  range(percentile: number): [number, number] {
    const tail = (this.count * (100 - percentile)) / 100;
    const edge = (counts: Float64Array): number => {
      let above = 0;
      for (let bin = BINS - 1; bin >= 0; bin--) {
        above += counts[bin];
        // The bin holding the tail's boundary: keep all of it (its upper edge).
        if (above > tail) return bin + 1 < BINS ? binFloor(bin + 1) : Infinity;
      }
      return 0;
    };
    return [Math.max(this.min, -edge(this.#negative)), Math.min(this.max, edge(this.#positive))];
  }
}
