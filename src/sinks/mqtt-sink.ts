/**
 * The flow's results on an MQTT broker, in the shape of Frigate's topics (docs/integrations.md):
 *
 *   <prefix>/available          "online" | "offline"         retained; "offline" is also the last will
 *   <prefix>/<stream>/state     {"state":"running",...}       on change; retained (`retain`)
 *   <prefix>/<stream>/label     the adapted label, ...        on change, at most labelMaxPerSecond; retained
 *   <prefix>/<stream>/events    {"type":"start"|"update"|"end","before","after"}   label episodes
 *   <prefix>/<stream>/snapshot  JPEG of the episode's best frame                 retained
 *   <prefix>/stats              frames, fps, drops per stream, every statsIntervalMs
 *
 * frame() and state() only keep counts and queue messages; MqttPublisher does the I/O, so a slow
 * or absent broker never reaches the frame flow.
 */
import { randomBytes } from 'node:crypto';
import type { MqttSinkConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { FrameInference } from '../model/index.js';
import type { StreamStateEvent } from '../server/index.js';
import type { Frame } from '../stream/index.js';
import { ChangeGate } from './change-gate.js';
import { roundTo } from './jsonl-sink.js';
import { EpisodeTracker, type EpisodeMessage } from './label-episodes.js';
import { labelReport, type LabelReport } from './label-report.js';
import { MqttPublisher, type MqttMessage } from './mqtt-publisher.js';
import type { SinkMetrics } from './sink-metrics.js';
import { encodeSnapshot } from './snapshot.js';
import { StateChanges, stateReport } from './state-report.js';
import type { FrameSink } from './types.js';

export interface MqttSinkDeps {
  log: Logger;
  metrics: SinkMetrics;
}

interface StreamCounts {
  state: StreamStateEvent['state'] | 'unknown';
  frames: number;
  framesAtLastStats: number;
  dropped: number;
  label: string | null;
}

/** What makes a label message news: any of the labels it carries, or the corruption, changed. */
const labelKey = (r: LabelReport) => `${r.label}\n${r.source.label}\n${r.edited?.label ?? ''}\n${r.corruption ?? ''}`;

export class MqttSink implements FrameSink {
  readonly name = 'mqtt';
  readonly #config: MqttSinkConfig;
  readonly #log: Logger;
  readonly #metrics: SinkMetrics;
  readonly #publisher: MqttPublisher;
  readonly #labels: ChangeGate<string>;
  readonly #lastReport = new Map<string, LabelReport>();
  readonly #episodes: EpisodeTracker;
  readonly #states = new StateChanges();
  readonly #counts = new Map<string, StreamCounts>();
  readonly #statsTimer: NodeJS.Timeout;
  readonly #startedAt = performance.now();
  #lastStatsAt = performance.now();
  #snapshotFailures = 0;
  /** The last message of each retained topic (state, label, snapshot), published again on every connection. */
  readonly #retained = new Map<string, MqttMessage>();
  /** Snapshots being encoded; close() lets them reach the queue. */
  readonly #encoding = new Set<Promise<void>>();

  private constructor(config: MqttSinkConfig, { log, metrics }: MqttSinkDeps) {
    this.#config = config;
    this.#log = log;
    this.#metrics = metrics;
    const intervalMs = 1000 / config.labelMaxPerSecond;
    this.#labels = new ChangeGate(intervalMs);
    this.#episodes = new EpisodeTracker({ updateIntervalMs: intervalMs });
    const available = (payload: string): MqttMessage => ({ topic: this.#topic('available'), payload, retain: true });
    this.#publisher = new MqttPublisher({
      url: config.url,
      clientId: config.clientId ?? `decorruptor-${randomBytes(4).toString('hex')}`,
      username: config.username,
      password: config.password,
      qos: config.qos,
      birth: available('online'),
      will: available('offline'),
      // What the broker retains must be current after an outage, even if the buffer dropped some of it.
      onConnect: () => this.#retained.forEach((message) => this.#publisher.publish(message)),
      bufferSize: config.bufferSize,
      reconnect: config.reconnect,
      connectTimeoutMs: config.connectTimeoutMs,
      name: this.name,
      log,
      metrics,
    });
    this.#statsTimer = setInterval(() => this.#publishStats(), config.statsIntervalMs);
  }

  /** Connects in the background: a broker that is down at start is retried, and the flow starts anyway. */
  static open(config: MqttSinkConfig, deps: MqttSinkDeps): MqttSink {
    return new MqttSink(config, deps);
  }

  frame(frame: Frame, inference: FrameInference): void {
    const counts = this.#countsOf(frame.streamId);
    counts.frames += 1;
    const report = labelReport(frame, inference);
    counts.label = report.label;
    this.#lastReport.set(frame.streamId, report);
    if (this.#labels.offer(frame.streamId, labelKey(report))) this.#publishLabel(report);
    for (const message of this.#episodes.frame(frame, inference)) this.#publishEpisode(message);
  }

  dropped(streamId: string, count: number): void {
    this.#countsOf(streamId).dropped += count;
  }

  state(event: StreamStateEvent): void {
    const stream = event.sourceId;
    this.#countsOf(stream).state = event.state;
    if (this.#states.isChange(event)) this.#publish([stream, 'state'], JSON.stringify(stateReport(event)), this.#config.retain);
    if (event.state === 'ended' || event.state === 'error') this.#endStream(stream);
  }

  /** Ends the running episodes, publishes `offline` and disconnects (briefly flushing to a live broker). */
  async close(): Promise<void> {
    clearInterval(this.#statsTimer);
    for (const stream of [...this.#lastReport.keys()]) this.#endStream(stream);
    await Promise.all(this.#encoding); // the last snapshots (encoding never rejects: see #publishEpisode)
    await this.#publisher.close();
  }

  /** Its stream is done: the label it ended on goes out (even within the rate limit), and its episode ends. */
  #endStream(stream: string): void {
    const last = this.#lastReport.get(stream);
    if (last !== undefined && this.#labels.last(stream) !== labelKey(last)) this.#publishLabel(last);
    this.#labels.forget(stream);
    this.#lastReport.delete(stream);
    const end = this.#episodes.endStream(stream);
    if (end) this.#publishEpisode(end);
  }

  #publishLabel(report: LabelReport): void {
    this.#publish([report.stream, 'label'], JSON.stringify(report), this.#config.retain);
  }

  #publishEpisode({ snapshot, ...message }: EpisodeMessage): void {
    const stream = message.after.stream;
    this.#publish([stream, 'events'], JSON.stringify(message), false, false);
    if (snapshot === undefined) return;
    // Encoded off the flow's path (sharp works in libuv's pool); queued when done.
    const encoding = encodeSnapshot(snapshot).then(
      (jpeg) => this.#publish([stream, 'snapshot'], jpeg, this.#config.retain),
      (error: unknown) => {
        this.#metrics.sinkMessages(this.name, 'failed');
        if (this.#snapshotFailures++ === 0) this.#log.warn('mqtt: a snapshot could not be encoded', { error: (error as Error).message });
      },
    );
    this.#encoding.add(encoding);
    void encoding.finally(() => this.#encoding.delete(encoding));
  }

  #publishStats(): void {
    const now = performance.now();
    const seconds = Math.max((now - this.#lastStatsAt) / 1000, 1e-3);
    this.#lastStatsAt = now;
    const streams: Record<string, unknown> = {};
    for (const [id, counts] of this.#counts) {
      const { state, frames, dropped, label } = counts;
      streams[id] = { state, frames, fps: roundTo((frames - counts.framesAtLastStats) / seconds, 2), dropped, label };
      counts.framesAtLastStats = frames;
      // A stream that is over is reported once more, then forgotten (streams come and go at run time).
      if (state === 'ended' || state === 'error') this.#counts.delete(id);
    }
    const payload = {
      at: new Date().toISOString(),
      uptimeSeconds: roundTo((now - this.#startedAt) / 1000, 1),
      streams,
      mqtt: { queued: this.#publisher.queued },
    };
    this.#publish(['stats'], JSON.stringify(payload), false);
  }

  /** `coalesce`: a queued message for the same topic is replaced (default: retained topics and stats). */
  #publish(levels: string[], payload: string | Buffer, retain: boolean, coalesce = true): void {
    const topic = this.#topic(...levels);
    const message: MqttMessage = { topic, payload, retain, ...(coalesce ? { key: topic } : {}) };
    if (retain) this.#retained.set(topic, message);
    this.#publisher.publish(message);
  }

  #topic(...levels: string[]): string {
    return [this.#config.topicPrefix, ...levels].join('/');
  }

  #countsOf(stream: string): StreamCounts {
    let counts = this.#counts.get(stream);
    if (counts === undefined) {
      counts = { state: 'unknown', frames: 0, framesAtLastStats: 0, dropped: 0, label: null };
      this.#counts.set(stream, counts);
    }
    return counts;
  }
}
