/**
 * Per-type timing of src/corrupt on one synthetic frame.
 * Usage: npx tsx tools/corruptions.ts [width=320] [height=240] [runs=15]
 * Prints the median wall-clock milliseconds per call for each type at each severity (seed varies
 * per run), and a plain multiply-add loop as a yardstick for how fast this machine is right now.
 */
import { ALL_CORRUPTION_TYPES, SEVERITIES, corrupt } from '../src/corrupt/index.js';
import { testPattern } from '../src/corrupt/test-pattern.js';

const [width = 320, height = 240, runs = 15] = process.argv.slice(2).map(Number);
const image = testPattern(width, height);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** 7.8M float multiply-adds (a 17-tap separable blur of a 320x240 rgb frame): the machine's yardstick. */
function yardstick(): number {
  const a = new Float32Array(320 * 240 * 3).fill(0.5);
  const b = new Float32Array(a.length);
  const once = (): void => {
    for (let t = 0; t < 34; t++) for (let i = 0; i < a.length; i++) b[i] += 0.03 * a[i];
  };
  once();
  const times: number[] = [];
  for (let r = 0; r < 9; r++) {
    const t0 = performance.now();
    once();
    times.push(performance.now() - t0);
  }
  return median(times);
}

console.log(`yardstick (7.8M multiply-adds): ${yardstick().toFixed(1)} ms`);
console.log(`${width}x${height}, median of ${runs} runs, ms per call`);
console.log(['type'.padEnd(18), ...SEVERITIES.map((s) => `sev${s}`.padStart(7))].join(''));
for (const type of ALL_CORRUPTION_TYPES) {
  const cells: string[] = [];
  for (const severity of SEVERITIES) {
    for (let i = 0; i < 2; i++) await corrupt(image, type, severity, i); // warm-up (JIT)
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      await corrupt(image, type, severity, r); // wall clock: jpeg_compression's libjpeg runs off the event loop
      times.push(performance.now() - t0);
    }
    const ms = median(times);
    cells.push((ms < 1 ? ms.toFixed(3) : ms.toFixed(1)).padStart(7));
  }
  console.log([type.padEnd(18), ...cells].join(''));
}
