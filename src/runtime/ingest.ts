/**
 * The ingest role (`decorruptor ingest`): the configured sources, supervised and corrupted as in
 * `serve` (the same ConfiguredStream), each published onto the broker by a FramePublisher (live:
 * newest only; replay: every frame, waiting while the replay stream is full). No engine here: the
 * workers run it. The ingest also owns its streams' state on the broker (the KV board the gateways
 * watch) and answers their set-corruption requests.
 *
 *   const ingesting = await startIngest(config, { log });
 *   await ingesting.stop();
 */
import type { Subscription } from '@nats-io/transport-node';
import { effectiveSources, type Config } from '../config/index.js';
import { FramePublisher, serveCorruptionRequests, StreamStateBoard, uniqueToken, type StreamStateRecord } from '../cluster/index.js';
import { ConfiguredStream, describeSources } from '../flow/configured-stream.js';
import { resolveSource } from '../flow/demo-source.js';
import { AllSourcesFailedError, openStreams, sourceFailure } from '../flow/open-streams.js';
import type { Logger } from '../log/logger.js';
import { failedSourceUpdate, redactUrl, sourceDescriptor, streamStateUpdate, type StreamStateUpdate } from '../server/index.js';
import type { SourceError } from '../stream/index.js';
import { openBroker } from './broker.js';
import { logFfmpeg } from './ffmpeg-log.js';
import { once, type RoleHandle } from './role.js';
import { sayWhereSinksRun } from './sinks.js';

export interface IngestOptions {
  log: Logger;
}

export interface IngestHandle extends RoleHandle {
  /** This ingest's id on the broker. */
  readonly id: string;
  /** Ids of the streams it publishes. */
  readonly streamIds: readonly string[];
}

/**
 * Connects to the broker (waiting while it is away), opens the sources and starts publishing.
 * `done` settles once every source has ended (replayed files) or stop() was called; it rejects
 * with AllSourcesFailedError when every source gave up.
 * @throws ConfigError without `cluster.url`; the source's error when no source can be opened.
 */
export async function startIngest(config: Config, options: IngestOptions): Promise<IngestHandle> {
  const { log } = options;
  logFfmpeg(log);
  const { broker, instance: id } = await openBroker(config, 'ingest', log);
  try {
    const board = new StreamStateBoard(broker, log);
    const sources = effectiveSources(config);
    const { opened: streams, failures } = await openStreams(sources, async (source) => {
      const resolved = await resolveSource(source, config, log);
      return ConfiguredStream.create(resolved.config, { label: resolved.label });
    });
    // A stream's corruption as configured, then as last set through the broker.
    const corruptions = new Map(sources.map((source) => [source.id, sourceDescriptor(source).corruption]));
    const describe = (streamId: string, update: StreamStateUpdate): StreamStateRecord => {
      const { url } = sourceDescriptor(sources.find((s) => s.id === streamId)!);
      const corruption = corruptions.get(streamId);
      return { id: streamId, ...(url === undefined ? {} : { url: redactUrl(url) }), ...(corruption === undefined ? {} : { corruption }), ...update, ingest: id, at: Date.now() };
    };
    for (const failure of failures) board.put(describe(failure.sourceId, failedSourceUpdate(failure)));
    describeSources(streams, log);
    sayWhereSinksRun(config, 'ingest', log);

    // One job for this ingest's replayed files: their results are stored for whoever reads them.
    const job = uniqueToken('j');
    const sourceErrors: SourceError[] = [];
    const controls: Subscription[] = [];
    const publishers = streams.map((stream) => {
      const streamId = stream.source.id;
      stream.source.states$.subscribe((event) => {
        if (event.state === 'error') sourceErrors.push(event.error);
        board.put(describe(streamId, streamStateUpdate(event)));
      });
      controls.push(
        serveCorruptionRequests(broker, streamId, (corruption) => {
          stream.setCorruption(corruption);
          corruptions.set(streamId, corruption);
          const current = board.get(streamId);
          if (current !== undefined) board.put({ ...current, corruption, at: Date.now() });
        }, log),
      );
      const origin = stream.source.mode === 'replay' ? { ingest: id, job } : { ingest: id };
      const publisher = FramePublisher.start({ stream, broker, origin, jpegQuality: config.server.jpegQuality, log });
      stream.source.start();
      return publisher;
    });
    log.info(`ingest ${id}: publishing ${streams.length} stream(s) to ${broker.url}`);

    const shutdown = once(async () => {
      await Promise.all(streams.map((stream) => stream.source.stop()));
      publishers.forEach((publisher) => publisher.stop());
      controls.forEach((subscription) => subscription.unsubscribe());
      // Its sources that failed to open too: a stopped ingest leaves nothing of its own on the board.
      await Promise.all(sources.map((source) => board.remove(source.id)));
      await broker.close();
    });
    const done = (async () => {
      try {
        await Promise.all(publishers.map((publisher) => publisher.done));
        if (sourceErrors.length === streams.length && streams.length > 0) {
          throw new AllSourcesFailedError([...failures, ...sourceErrors.map((e) => sourceFailure({ id: e.sourceId ?? '?', url: e.url }, e))]);
        }
      } finally {
        await shutdown();
      }
    })();
    return {
      id,
      streamIds: streams.map((s) => s.source.id),
      done,
      stop: async () => {
        await shutdown();
        await done.catch(() => {});
      },
    };
  } catch (error) {
    await broker.close();
    throw error;
  }
}
