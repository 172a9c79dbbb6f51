/**
 * The inference worker: the one thread that owns every onnxruntime session (sessions in several
 * threads have crashed elsewhere, and session.run() blocks its thread for the whole inference).
 * Protocol: worker-protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ModelBundle } from './bundle.js';
import { serializeError } from './errors.js';
import { BatchInference } from './batch-inference.js';
import type { FrameInference } from './types.js';
import { absoluteNow, type EngineInfo, type FromWorker, type ToWorker, type WorkerInit } from './worker-protocol.js';

if (!parentPort) throw new Error('inference-worker must run as a worker thread');
const port = parentPort;
const init = workerData as WorkerInit;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

const log = (message: string) => post({ type: 'log', message });

function engineInfo(inference: BatchInference): EngineInfo {
  const { bundle, editor } = inference;
  const { manifest } = bundle;
  const providers = bundle.providers;
  return {
    name: manifest.name,
    version: manifest.version,
    bundleDir: bundle.dir,
    labels: [...manifest.labels],
    editor: bundle.editorName,
    editorKind: editor ? editor.kind : null,
    steps: editor ? editor.steps : 0,
    timesteps: editor ? [...editor.timesteps] : [],
    provider: providers.unet ?? providers.classifier,
    providers,
    precisions: { ...bundle.precisions },
    oneThreadMaxBatch: bundle.oneThreadMaxBatch,
    inputSize: { ...manifest.classifier.inputSize },
    editSize: inference.editSize ? { ...inference.editSize } : null,
    ensemble: inference.ensemble,
    topK: inference.topK,
    noise: editor ? { ...editor.noise } : null,
    gate: inference.gate ? { ...inference.gate } : null,
    info: manifest.info,
  };
}

async function runBatch(inference: BatchInference, message: Extract<ToWorker, { type: 'infer' }>): Promise<void> {
  const startedAt = absoluteNow();
  try {
    const frames = message.frames.map((f) => ({
      streamId: f.streamId,
      width: f.width,
      height: f.height,
      data: new Uint8Array(message.pixels, f.byteOffset, f.byteLength),
      ...(f.edit === undefined ? {} : { edit: f.edit }),
      ...(f.gateLevel === undefined ? {} : { gateLevel: f.gateLevel }),
    }));
    const { frames: outputs, timings } = await inference.run(frames);
    const finishedAt = absoluteNow();
    const stageTimings = {
      queueMs: Math.max(0, startedAt - message.sentAt),
      ...timings,
      totalMs: Math.max(0, finishedAt - message.sentAt),
    };
    const editSize = inference.editSize;
    const results: FrameInference[] = outputs.map((o) => ({
      source: o.source,
      edited: o.edited,
      ensemble: o.ensemble,
      distribution: o.distribution,
      gate: o.gate,
      editedImage: o.editedImage && editSize ? { width: editSize.width, height: editSize.height, data: o.editedImage } : null,
      timings: { ...stageTimings },
    }));
    const transfer = outputs.flatMap((o) => [o.distribution.buffer as ArrayBuffer, ...(o.editedImage ? [o.editedImage.buffer as ArrayBuffer] : [])]);
    post({ type: 'result', id: message.id, results }, transfer);
  } catch (error) {
    post({ type: 'infer-error', id: message.id, error: serializeError(error) });
  }
}

async function main(): Promise<void> {
  let inference: BatchInference;
  let bundle: ModelBundle | undefined;
  try {
    bundle = await ModelBundle.open(init.bundleDir, {
      editor: init.editor,
      providers: init.providers,
      intraOpThreads: init.intraOpThreads,
      oneThreadMaxBatch: init.oneThreadMaxBatch,
      precision: init.precision,
      log,
    });
    inference = BatchInference.create(bundle, {
      steps: init.steps,
      noiseSeed: init.noiseSeed,
      editorNoise: init.editorNoise,
      ensemble: init.ensemble,
      topK: init.topK,
      gate: init.gate,
      gateThreshold: init.gateThreshold,
    });
  } catch (error) {
    await bundle?.release();
    post({ type: 'init-error', error: serializeError(error) });
    port.close();
    return;
  }

  // Batches run strictly one after another, in arrival order; `close` waits behind them.
  let queue = Promise.resolve();
  port.on('message', (message: ToWorker) => {
    if (message.type === 'infer') {
      queue = queue.then(() => runBatch(inference, message));
    } else if (message.type === 'close') {
      queue = queue.then(async () => {
        await inference.bundle.release();
        post({ type: 'closed' });
        port.close();
      });
    }
  });
  post({ type: 'ready', info: engineInfo(inference) });
}

void main();
