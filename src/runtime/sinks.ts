/** The sinks the configuration's `sinks` section asks for, in a fixed order, each opened and ready. */
import type { Config } from '../config/index.js';
import { JsonlSink, type FrameSink } from '../sinks/index.js';

/** @throws when a sink cannot be opened (a JSONL path in a missing folder...), before any frame is run. */
export async function configuredSinks(config: Pick<Config, 'sinks'>): Promise<FrameSink[]> {
  const sinks: FrameSink[] = [];
  if (config.sinks.jsonl) sinks.push(await JsonlSink.open(config.sinks.jsonl.path));
  return sinks;
}
