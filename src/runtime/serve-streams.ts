/**
 * The streams of `serve` while it runs, and the requests that change them: the dashboard's
 * corruption picker (/ws set-corruption) and the stream API (POST, DELETE, PUT /api/streams...).
 * It opens an added source exactly as a configured one is opened, adds it to the running flow with
 * its regions and tells the dashboard server; the sinks hear its states from the flow like any
 * stream's. A removed stream's ffmpeg has exited when the removal resolves.
 *
 *   const streams = new ServeStreams(config, log);
 *   const server = await DashboardServer.create({ ..., handlers: streams.handlers });
 *   ...
 *   streams.attach({ flow, server, regions });   // until then, adding or removing is refused (NOT_READY)
 */
import type { Config, SourceConfig } from '../config/index.js';
import { regionStreamId } from '../config/regions.js';
import { ConfiguredStream } from '../flow/configured-stream.js';
import { resolveSource } from '../flow/demo-source.js';
import type { FrameFlow } from '../flow/frame-flow.js';
import type { RegionControls } from '../flow/regions/index.js';
import type { Logger } from '../log/logger.js';
import { sourceDescriptor, StreamApiRefusal, type DashboardServer } from '../server/index.js';
import type { ServerHandlers } from '../server/types.js';
import type { StreamTiming } from '../sinks/index.js';

/** The rate a replayed stream's recording is written at when the source does not say its own. */
const FALLBACK_FPS = 25;

const refusal = (code: string, message: string) => Object.assign(new Error(message), { code });

interface Running {
  flow: FrameFlow;
  server: DashboardServer;
  regions: RegionControls;
}

export class ServeStreams {
  readonly #config: Config;
  readonly #log: Logger;
  readonly #byId = new Map<string, ConfiguredStream>();
  /** Configured streams that could not be opened: shown as failed, and removable. */
  readonly #failed = new Set<string>();
  /** Ids being opened by an add that has not finished: a second add of the same id is refused. */
  readonly #opening = new Set<string>();
  #running: Running | undefined;

  constructor(config: Config, log: Logger) {
    this.#config = config;
    this.#log = log;
  }

  /** The configured streams, opened and not. */
  opened(streams: readonly ConfiguredStream[], failedIds: readonly string[]): void {
    for (const stream of streams) this.#byId.set(stream.source.id, stream);
    for (const id of failedIds) this.#failed.add(id);
  }

  /** The flow runs: the configured streams' regions join it, and adds and removes are answered from now on. */
  attach(running: Running): void {
    this.#running = running;
    for (const stream of this.#byId.values()) this.#attachRegions(stream, running);
  }

  /** How a stream's frames are timed, for the annotated outputs: a replayed one at its rate, a live one by arrival. */
  timing(streamId: string): StreamTiming {
    const source = this.#byId.get(streamId)?.source;
    return source?.mode === 'replay' ? { fps: source.fps ?? FALLBACK_FPS } : {};
  }

  readonly handlers: Required<Pick<ServerHandlers, 'setCorruption' | 'addStream' | 'removeStream'>> = {
    setCorruption: (streamId, corruption) => {
      const stream = this.#byId.get(streamId);
      // A configured stream that failed to open has nothing to corrupt: refuse rather than pretend.
      if (stream === undefined) throw new Error(`stream "${streamId}" is not running`);
      stream.setCorruption(corruption);
    },
    addStream: (source) => this.#add(source),
    removeStream: (streamId) => this.#remove(streamId),
  };

  async #add(source: SourceConfig): Promise<void> {
    const running = this.#ready();
    const { id } = source;
    if (this.#opening.has(id) || running.flow.streamIds.includes(id)) throw new StreamApiRefusal('STREAM_EXISTS', `stream "${id}" is running; remove it first`);
    // Checked before anything opens: a region whose stream id is taken would fail after the source runs.
    for (const region of source.regions ?? []) {
      const regionId = regionStreamId(id, region.id);
      if (this.#opening.has(regionId) || running.flow.streamIds.includes(regionId)) throw new StreamApiRefusal('STREAM_EXISTS', `stream "${regionId}" (region "${region.id}" of "${id}") is running; choose another region id`);
    }
    this.#opening.add(id);
    try {
      const resolved = await resolveSource(source, this.#config, this.#log);
      const stream = await ConfiguredStream.create(resolved.config, { label: resolved.label });
      if (this.#running === undefined) throw refusal('SHUTTING_DOWN', 'the server is shutting down');
      running.server.addStream(sourceDescriptor(source));
      try {
        running.flow.add(stream);
      } catch (error) {
        await stream.source.stop();
        throw refusal('SHUTTING_DOWN', (error as Error).message);
      }
      this.#byId.set(id, stream);
      this.#failed.delete(id);
      this.#attachRegions(stream, running);
      this.#log.info(`source ${id} added: ${stream.source.input.kind} (${stream.source.mode})`, stream.corruption ? { corrupt: stream.corruption } : undefined);
    } finally {
      this.#opening.delete(id);
    }
  }

  async #remove(streamId: string): Promise<boolean> {
    const running = this.#ready();
    const opened = this.#byId.delete(streamId);
    const failed = !opened && this.#failed.delete(streamId);
    if (!opened && !failed) return false;
    // Resolves once its ffmpeg has exited (nothing to stop for one that ended or never opened);
    // its regions' sources end with it.
    await running.flow.remove(streamId);
    running.regions.detach(streamId);
    // One that never ran says its end itself: the sinks (MQTT's retained state...) heard it fail.
    if (failed) running.flow.reportState({ state: 'ended', sourceId: streamId, reason: 'stopped', at: Date.now() });
    running.server.removeStream(streamId);
    this.#log.info(`source ${streamId} removed`);
    return true;
  }

  /** Stops answering adds and removes (the role is shutting down). */
  detach(): void {
    this.#running = undefined;
  }

  #attachRegions(stream: ConfiguredStream, { flow, regions }: Running): void {
    regions.attach(stream, flow).catch((error: unknown) => this.#log.error(`the regions of ${stream.source.id} did not start`, { error: (error as Error).message }));
  }

  #ready(): Running {
    if (this.#running === undefined) throw refusal('NOT_READY', 'the server is not running its streams (starting up or shutting down)');
    return this.#running;
  }
}
