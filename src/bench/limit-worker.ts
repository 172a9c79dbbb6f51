/**
 * The limit scenario's onnxruntime work, in a worker thread of its own (onnxruntime lives in one
 * thread at a time in this project's processes): multiply-adds of each model file, then the fp32
 * and int8 peaks. One request in workerData, one reply message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { measureModelMacs, type ModelMacs } from './macs.js';
import { measurePeak, type PeakResult } from './peak.js';

export interface LimitProbeRequest {
  files: string[];
  intraOpThreads?: number;
}

export type LimitProbeReply =
  | { ok: true; macs: Record<string, ModelMacs>; peak: { fp32: PeakResult; int8: PeakResult } }
  | { ok: false; message: string };

async function probe(request: LimitProbeRequest): Promise<LimitProbeReply> {
  const macs: Record<string, ModelMacs> = {};
  for (const file of request.files) macs[file] = await measureModelMacs(file);
  const fp32 = await measurePeak({ precision: 'fp32', intraOpThreads: request.intraOpThreads });
  const int8 = await measurePeak({ precision: 'int8', intraOpThreads: request.intraOpThreads });
  return { ok: true, macs, peak: { fp32, int8 } };
}

probe(workerData as LimitProbeRequest)
  .catch((error: unknown): LimitProbeReply => ({ ok: false, message: error instanceof Error ? error.message : String(error) }))
  .then((reply) => parentPort!.postMessage(reply));
