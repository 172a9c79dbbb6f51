/** `decorruptor ingest`: sources -> the broker (src/runtime/ingest.ts). */
import { startIngest } from '../../runtime/index.js';
import { defineCommand } from '../options.js';
import { runRoleCommand } from '../role-command.js';
import { LOG_LEVEL, NATS, ROLE_CONFIG, SOURCES, sourceOverrides } from '../shared-options.js';

export const COMMAND = defineCommand({
  name: 'ingest',
  usage: 'decorruptor ingest --nats URL [options]',
  about: `Runs the configured sources (supervised, with the test-feed corruption, as in serve) and publishes
their frames, JPEG-encoded at the display size, to the NATS JetStream broker, where workers pick
them up. Live sources: only the newest frame waits on the broker. Files in replay mode: every
frame, waiting while the replay queue is full. Answers the gateways' set-corruption requests for
its streams. Stream ids must be unique across ingests. See docs/distributed.md.`,
  options: { nats: NATS, config: ROLE_CONFIG, ...SOURCES, 'log-level': LOG_LEVEL },
});

export const run = (argv: string[]): Promise<number> =>
  runRoleCommand(COMMAND, argv, {
    overrides: (values) => ({ cluster: { url: values.nats }, sources: sourceOverrides(values.source, values.corrupt) }),
    start: startIngest,
  });
