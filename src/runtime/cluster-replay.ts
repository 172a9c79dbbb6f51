/**
 * Distributed replay (`decorruptor run --nats URL --source FILE --out results.jsonl`): this process
 * is the file's ingest and the reader of its results; the workers do the inference. Lossless: every
 * frame is stored on the REPLAY work queue (the publisher waits while it is full), each is acked by
 * a worker only once its result is stored, a frame whose worker died is redelivered after ack_wait,
 * and the ReplayCollector hands each frame's result on once, in order: label smoothing runs there
 * (as in `run`), then the JSONL and any MQTT or webhook sinks. The source's end reaches the sinks
 * after its last result.
 *
 *   const replaying = await startClusterReplay(config, { log });
 *   const { summary, counts } = await replaying.done;
 */
import type { Config } from '../config/index.js';
import { FramePublisher, ReplayCollector, ResultOutputs, uniqueToken, WorkerRoster, type BrokerConnection, type CollectorCounts } from '../cluster/index.js';
import { STREAMS, SUBJECTS } from '../cluster/subjects.js';
import { ConfiguredStream } from '../flow/configured-stream.js';
import type { Logger } from '../log/logger.js';
import type { StreamStateEvent } from '../server/index.js';
import { closeSinks, RunSummarySink, type FrameSink } from '../sinks/index.js';
import type { SourceError } from '../stream/index.js';
import { openBroker } from './broker.js';
import { logFfmpeg } from './ffmpeg-log.js';
import { once, type ReplayOutcome, type RoleHandle } from './role.js';
import { configuredSinks, pictureNeeds } from './sinks.js';

export interface ClusterReplayOptions {
  log: Logger;
  /** Sinks beyond the JSONL file (a progress bar...). */
  extraSinks?: readonly FrameSink[];
  /** Decode size; a side left out is the workers' model input size. */
  decodeSize?: { width?: number; height?: number };
  /** Called once the source is open, with its frame count when ffprobe knows it, and the first worker's model. */
  onOpen?: (info: { frameCount?: number; model: Record<string, unknown> }) => void;
}

export interface ClusterReplayResult extends ReplayOutcome {
  /** Results written, duplicates dropped, frames given up by the broker. */
  counts: CollectorCounts;
  /** The model facts of the first worker heard from. */
  model: Record<string, unknown>;
}

/**
 * Connects, waits for a worker (its model says the decode size), opens the file and starts.
 * `done` resolves once every frame's result is written (or the frame given up) and the output is flushed.
 */
export async function startClusterReplay(config: Config, options: ClusterReplayOptions): Promise<RoleHandle<ClusterReplayResult>> {
  const { log } = options;
  logFfmpeg(log);
  const [sourceConfig] = config.sources;
  if (config.sources.length !== 1) throw new Error(`replay runs exactly one source, got ${config.sources.length}`);
  const { annotatedVideo, recordings, ...wanted } = config.sinks;
  const ignored = Object.entries({ annotatedVideo, recordings }).filter(([, value]) => value !== undefined);
  if (ignored.length > 0) log.warn(`run --nats: results come back as JPEGs at the model's input size, no video to annotate; ignoring sinks.${ignored.map(([k]) => k).join(', sinks.')}`);

  // Each frame may go to any worker, and a worker sees no stream whole: nothing to gate on.
  if (config.motionGate.enabled === true) log.warn('run --nats: motion gating does not run through the broker; every frame is inferred');
  // The outputs first: a bad path is reported before anything waits on the broker.
  const sinks = await configuredSinks({ sinks: wanted }, { log });
  const { broker, instance } = await openBroker(config, 'run', log).catch(async (error: unknown) => {
    await closeSinks(sinks).catch(() => {});
    throw error;
  });
  const closeAll = async () => {
    await closeSinks(sinks).catch(() => {});
    await broker.close();
  };
  try {
    const model = await firstWorker(broker, log);
    const inputSize = model['inputSize'] as { width: number; height: number } | undefined;
    const stream = await ConfiguredStream.create({
      ...sourceConfig,
      mode: 'replay',
      width: options.decodeSize?.width ?? inputSize?.width ?? sourceConfig.width,
      height: options.decodeSize?.height ?? inputSize?.height ?? sourceConfig.height,
    });
    options.onOpen?.({ frameCount: stream.source.probed?.frameCount, model });

    const job = uniqueToken('r');
    const summary = new RunSummarySink();
    const allSinks = [summary, ...sinks, ...(options.extraSinks ?? [])];
    const outputs = new ResultOutputs({ sinks: allSinks, smoothing: config.smoothing, pictures: pictureNeeds(wanted), log });
    const labels = model['labels'];
    if (Array.isArray(labels)) outputs.setLabels(labels as string[]);
    const collector = await ReplayCollector.start({ broker, job, log, deliver: (result) => void outputs.result(result) });
    const publisher = FramePublisher.start({
      stream,
      broker,
      origin: { ingest: instance, job },
      jpegQuality: config.server.jpegQuality,
      log,
      onStored: (frame) => collector.expect(frame.streamId, frame.seq),
    });
    let sourceError: SourceError | undefined;
    // The end waits for the last result (below): the sinks hear it after every frame.
    let end: StreamStateEvent | undefined;
    stream.source.states$.subscribe((event) => {
      if (event.state === 'error') sourceError = event.error;
      if (event.state === 'ended' || event.state === 'error') end = event;
      else outputs.state(event);
    });
    stream.source.start();
    log.info(`run ${job}: replaying ${sourceConfig.url} through the workers on ${broker.url}`);

    let interrupted = false;
    const shutdown = once(async () => {
      await stream.source.stop();
      publisher.stop();
      await collector.stop();
      if (end) outputs.state(end);
      await outputs.flush();
      try {
        await closeSinks(allSinks);
      } finally {
        // This job's results were read: leave the RESULTS stream to the other runs.
        await broker.jsm.streams.purge(STREAMS.results, { filter: SUBJECTS.jobResults(job) }).catch(() => {});
        await broker.close();
      }
    });
    const done = (async (): Promise<ClusterReplayResult> => {
      try {
        await publisher.done;
        collector.finish();
        await collector.done;
      } finally {
        await shutdown();
      }
      return { summary: summary.summary(), counts: { ...collector.counts }, model, interrupted, sourceError };
    })();
    return {
      done,
      stop: async () => {
        interrupted = true;
        await shutdown();
        await done.catch(() => {});
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The model facts of the first worker that sends a heartbeat; says so while it waits. */
function firstWorker(broker: BrokerConnection, log: Logger): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const waiting = setTimeout(() => log.warn('run: waiting for a worker to join the broker'), 3000);
    const roster = new WorkerRoster(broker, (model) => {
      clearTimeout(waiting);
      roster.close();
      resolve(model);
    });
  });
}
