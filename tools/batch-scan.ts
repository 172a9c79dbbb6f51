/**
 * Hand-run: the ceiling of one editor at several batch sizes and batches in flight, fp32 and int8,
 * configurations interleaved round by round so that a busy machine slows them alike.
 *
 *   node --import tsx tools/batch-scan.ts [BUNDLE] [--editor cm] [--batches 8,16,32] [--in-flight 1,2] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { measureCeiling } from '../src/bench/ceiling.js';
import { loadConfig } from '../src/config/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { editor: { type: 'string', default: 'cm' }, batches: { type: 'string', default: '8,16,32' }, 'in-flight': { type: 'string', default: '1,2' }, rounds: { type: 'string', default: '3' }, precisions: { type: 'string', default: 'fp32,int8' } },
});
const config = await loadConfig({ overrides: { model: { bundle: positionals[0] } } });
const list = (s: string) => s.split(',').map((x) => x.trim());
const configs = list(values.precisions!).flatMap((precision) => list(values.batches!).flatMap((batch) => list(values['in-flight']!).map((inFlight) => ({ precision: precision as 'fp32' | 'int8', batch: Number(batch), inFlight: Number(inFlight) }))));
const fps = new Map<string, number[]>(configs.map((c) => [JSON.stringify(c), []]));
for (let r = 0; r < Number(values.rounds); r++) {
  for (const c of configs) {
    const result = await measureCeiling({ model: { ...config.model, precision: c.precision }, editor: values.editor!, batch: c.batch, inFlight: c.inFlight, warmupBatches: 2, rounds: 1, batchesPerRound: Math.max(2, Math.round(64 / c.batch)) });
    fps.get(JSON.stringify(c))!.push(result.fps);
  }
}
console.log(['precision', 'batch', 'in flight', 'frames/s (median of rounds)', 'rounds'].join('\t'));
for (const c of configs) {
  const xs = fps.get(JSON.stringify(c))!;
  console.log([c.precision, c.batch, c.inFlight, [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)], xs.join(' ')].join('\t'));
}
