/** The `run --nats URL` half of run.ts: the same replay, through the workers on the broker (src/runtime/cluster-replay.ts). */
import { writeFile } from 'node:fs/promises';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../log/logger.js';
import { startClusterReplay, untilDoneOrSignal } from '../../runtime/index.js';
import { frameProgress } from '../progress.js';

export interface ClusterRunOptions {
  log: Logger;
  decodeSize: { width?: number; height?: number };
  source: string;
  out: string;
  summaryFile?: string;
}

export async function runThroughBroker(config: Config, options: ClusterRunOptions): Promise<number> {
  const { log } = options;
  const bar = frameProgress();
  const replaying = await startClusterReplay(config, { log, decodeSize: options.decodeSize, onOpen: bar.open, extraSinks: [bar.sink] });
  const outcome = await untilDoneOrSignal(replaying, log).finally(bar.done);
  const { result, signalled } = outcome;
  const { model, counts } = result;
  const summary = { source: options.source, out: options.out, broker: config.cluster.url, editor: model['editor'], steps: model['steps'], ...counts, ...result.summary };
  if (options.summaryFile) await writeFile(options.summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
  process.stderr.write(
    `${summary.frames} frames in ${summary.seconds} s (${summary.fps} frames/s) through the workers on ${config.cluster.url}, editor ${String(summary.editor)}/${String(summary.steps)}; ` +
      `${counts.duplicates} duplicate results dropped` +
      (counts.dead > 0 ? `; ${counts.dead} frames given up by the broker (no line)` : '') +
      (summary.accuracy ? `; accuracy source ${summary.accuracy.source}, adapted ${summary.accuracy.ensemble}` : '') +
      '\n',
  );
  if (result.sourceError) throw result.sourceError;
  if (signalled || result.interrupted) return 130;
  return counts.dead > 0 ? 1 : 0;
}
