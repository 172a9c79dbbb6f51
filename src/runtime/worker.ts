/**
 * The worker role (`decorruptor worker`): the engine fed from the broker. Two pull feeds (live and
 * replay, each on the consumer all workers share) hand frames to one FlowSource per stream; the
 * same FrameFlow as `serve` batches them fairly (maxBatch, maxWaitMs) for the engine, and the
 * broker result sink publishes each result (and acks a replayed frame once its result is stored).
 * Any number of workers may run; killing one loses at most its live frames in hand, and its
 * replayed frames are redelivered to the others after ack_wait.
 *
 *   const working = await startWorker(config, { log });
 *   await working.stop();
 */
import type { Config } from '../config/index.js';
import { BrokerResultSink, BrokerStreams, CONSUMERS, FrameFeed, startHeartbeat, STREAMS, type FrameDelivery } from '../cluster/index.js';
import { FrameFlow } from '../flow/frame-flow.js';
import type { Logger } from '../log/logger.js';
import type { EngineInfo } from '../model/index.js';
import { closeSinks, type FrameSink } from '../sinks/index.js';
import type { Frame } from '../stream/index.js';
import { openBroker } from './broker.js';
import { openEngine } from './engine.js';
import { once, type RoleHandle } from './role.js';
import { sayWhereSinksRun } from './sinks.js';

export interface WorkerOptions {
  log: Logger;
  /** Sinks beyond the broker's (e.g. a test's probe). */
  extraSinks?: readonly FrameSink[];
}

export interface WorkerHandle extends RoleHandle {
  /** This worker's id on the broker. */
  readonly id: string;
  readonly engine: EngineInfo;
  /** Frames processed so far. */
  readonly processed: number;
}

/**
 * Connects (waiting while the broker is away), loads the model and starts pulling.
 * `done` settles after stop(), or rejects when the inference worker dies.
 * @throws ConfigError without `cluster.url`; a bad bundle (having closed the connection).
 */
export async function startWorker(config: Config, options: WorkerOptions): Promise<WorkerHandle> {
  const { log } = options;
  const { broker, instance: id } = await openBroker(config, 'worker', log);
  const engine = await openEngine(config.model, log).catch(async (error: unknown) => {
    await broker.close();
    throw error;
  });
  log.info(`worker ${id}: model ${engine.info.name}, editor ${engine.info.editor} (${engine.info.steps} steps) on ${engine.info.provider}`);
  sayWhereSinksRun(config, 'worker', log);

  const { maxBatch, maxWaitMs } = config.batching;
  const deliveries = new WeakMap<Frame, FrameDelivery>();
  const results = new BrokerResultSink({ broker, deliveries, worker: id, jpegQuality: config.server.jpegQuality, log });
  const sinks = [results, ...(options.extraSinks ?? [])];
  // Two batches in flight keep the engine busy while a result travels; no label smoothing here:
  // a worker sees only part of each stream (docs/distributed.md, per-stream state).
  const flow = FrameFlow.start({ streams: [], endWhenAllEnded: false, engine, maxBatch, maxWaitMs, inFlight: 2, sinks, log });
  const streams = new BrokerStreams(flow);
  const deliver = (frame: Frame, release: () => void) => streams.deliver(frame, release);
  const feeds = [
    // Live: pull the next batch only once the last one is done; meanwhile frames wait on the broker, newest only, for any worker.
    new FrameFeed({ broker, stream: STREAMS.live, consumer: CONSUMERS.live, window: maxBatch, whenIdle: true, deliveries, deliver, log }),
    new FrameFeed({
      broker,
      stream: STREAMS.replay,
      consumer: CONSUMERS.replay,
      window: 2 * maxBatch,
      deliveries,
      deliver,
      touchEveryMs: Math.max(250, Math.floor(config.cluster.replay.ackWaitMs / 3)),
      log,
    }),
  ];
  const stopHeartbeat = startHeartbeat(broker, id, { ...engine.info });

  const shutdown = once(async () => {
    stopHeartbeat();
    await Promise.all(feeds.map((feed) => feed.stop()));
    await streams.close();
    await flow.stop();
    await closeSinks(sinks).catch((error: unknown) => log.error('a sink failed to close', { error: (error as Error).message }));
    await engine.close();
    await broker.close();
  });
  const done = (async () => {
    try {
      await flow.done;
    } finally {
      await shutdown();
    }
  })();
  return {
    id,
    engine: engine.info,
    get processed() {
      return flow.processed;
    },
    done,
    stop: async () => {
      await shutdown();
      await done.catch(() => {});
    },
  };
}
