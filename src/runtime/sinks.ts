/** The sinks the configuration's `sinks` section asks for, in a fixed order, each opened and ready. */
import type { PictureNeeds } from '../cluster/result-outputs.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { AnnotatedVideoSink, JsonlSink, MqttSink, NO_SINK_METRICS, RecordingSink, WebhookSink, type FrameSink, type SinkMetrics, type StreamTimings } from '../sinks/index.js';

export interface SinkDeps {
  log: Logger;
  /** Where the MQTT, webhook and recording sinks count: the dashboard server's /metrics in `serve` and the gateway. */
  metrics?: SinkMetrics;
  /** How each stream's frames are timed, for the annotated video and recordings; default: live (by arrival). */
  timings?: StreamTimings;
}

/**
 * @throws when a sink cannot be opened (a JSONL path in a missing folder...), before any frame is run.
 * An MQTT broker that is down is no such failure: the sink connects when it comes up.
 */
export async function configuredSinks(config: Pick<Config, 'sinks'>, { log, metrics = NO_SINK_METRICS, timings = () => ({}) }: SinkDeps): Promise<FrameSink[]> {
  const { jsonl, mqtt, webhooks = [], annotatedVideo, recordings } = config.sinks;
  const sinks: FrameSink[] = [];
  if (jsonl) sinks.push(await JsonlSink.open(jsonl.path));
  if (mqtt) sinks.push(MqttSink.open(mqtt, { log, metrics }));
  webhooks.forEach((hook, index) => sinks.push(new WebhookSink(hook, index, { log, metrics })));
  if (annotatedVideo) sinks.push(await AnnotatedVideoSink.open({ ...annotatedVideo, timings, log }));
  if (recordings) sinks.push(await RecordingSink.open({ ...recordings, retention: { segments: recordings.retentionSegments, hours: recordings.retentionHours }, timings, log, metrics }));
  return sinks;
}

/** Where results arrive as JPEGs (the gateway, `run --nats`): which of them the sinks need pixels of. */
export function pictureNeeds({ mqtt, webhooks = [], recordings }: Config['sinks']): PictureNeeds {
  return {
    snapshots: mqtt !== undefined || webhooks.some((hook) => hook.includeSnapshot),
    recorded: (streamId) => recordings !== undefined && (recordings.streams === '*' || recordings.streams.includes(streamId)),
  };
}

/** A role that runs no sinks (ingest, worker) says where the configured ones run instead. */
export function sayWhereSinksRun({ sinks }: Pick<Config, 'sinks'>, role: string, log: Logger): void {
  const named = Object.entries(sinks).filter(([, value]) => value !== undefined && !(Array.isArray(value) && value.length === 0)).map(([key]) => `sinks.${key}`);
  if (named.length > 0) log.info(`${role}: ${named.join(', ')} run in the gateway, where each stream's results meet in order; not here`);
}
