/** The sinks the configuration's `sinks` section asks for, in a fixed order, each opened and ready. */
import type { Config } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { AnnotatedVideoSink, JsonlSink, RecordingSink, type FrameSink, type StreamTimings } from '../sinks/index.js';

export interface SinkDeps {
  log: Logger;
  /** How each stream's frames are timed, for the annotated video and recordings; default: live (by arrival). */
  timings?: StreamTimings;
}

/** @throws when a sink cannot be opened (a JSONL path in a missing folder...), before any frame is run. */
export async function configuredSinks(config: Pick<Config, 'sinks'>, { log, timings = () => ({}) }: SinkDeps): Promise<FrameSink[]> {
  const { jsonl, annotatedVideo, recordings } = config.sinks;
  const sinks: FrameSink[] = [];
  if (jsonl) sinks.push(await JsonlSink.open(jsonl.path));
  if (annotatedVideo) sinks.push(await AnnotatedVideoSink.open({ ...annotatedVideo, timings, log }));
  if (recordings) sinks.push(await RecordingSink.open({ ...recordings, retention: { segments: recordings.retentionSegments, hours: recordings.retentionHours }, timings, log }));
  return sinks;
}
