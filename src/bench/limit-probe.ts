/** Runs limit-worker.ts and waits for its one reply. */
import { moduleBeside, startWorker } from '../model/start-worker.js';
import { BenchError } from './errors.js';
import type { LimitProbeReply, LimitProbeRequest } from './limit-worker.js';

export async function runLimitProbe(request: LimitProbeRequest): Promise<Extract<LimitProbeReply, { ok: true }>> {
  const worker = startWorker(moduleBeside(import.meta.url, 'limit-worker'), request);
  try {
    const reply = await new Promise<LimitProbeReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the limit probe exited with code ${code} before replying`)));
    });
    if (!reply.ok) throw new BenchError('BENCH_LIMIT_FAILED', `the limit probe failed: ${reply.message}`);
    return reply;
  } finally {
    await worker.terminate();
  }
}
