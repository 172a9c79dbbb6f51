/** `decorruptor serve`: sources -> editor + classifier -> dashboard, /ws, /metrics. */
import { effectiveSources, loadConfig, type Config, type ConfigOverrides } from '../../config/index.js';
import { resolveSource } from '../../app/demo-source.js';
import { createLogger, type Logger } from '../../app/logger.js';
import { Pipeline } from '../../app/pipeline.js';
import { onShutdownSignal } from '../../app/shutdown.js';
import { ConfiguredStream, describeSources } from '../../app/streams.js';
import { AllSourcesFailedError, openStreams, sourceFailure } from '../../app/open-streams.js';
import { failedSourceUpdate, streamStateUpdate } from '../../app/stream-state.js';
import { version } from '../../app/version.js';
import { openEngine } from '../../app/engine.js';
import { PipelineServer, sourceDescriptor } from '../../server/index.js';
import { CORRUPTION_TYPES } from '../../corrupt/index.js';
import { intOption, parseCommandArgs } from '../args.js';

const HELP = `Usage: decorruptor serve [options]

Runs every configured source through the editor and classifier and serves the dashboard (GET /),
the WebSocket stream (/ws), /healthz, /readyz and /metrics. With no source configured it plays the
CIFAR-10 demo feed.

Options:
  -c, --config FILE     configuration file (default config/default.json)
  -s, --source URL      a source (repeatable): file, rtsp://..., http(s)://..., /dev/videoN,
                        lavfi:<graph>, demo; 'id=URL' names it. Replaces the configured sources.
      --corrupt SPEC    corrupt the --source feeds: 'fog:4', 'cycle' or 'cycle:3'
      --host HOST       listen address (default 127.0.0.1)
  -p, --port PORT       listen port (default 8080; 0 picks a free one)
      --bundle DIR      model bundle (default models/cifar10)
      --editor NAME     editor from the bundle (cm, dpm) or none
      --steps N         editor steps (cm: 1-8, default 4)
      --log-level L     silent, error, warn, info, debug`;

export function sourceOverrides(sources: string[] | undefined, corrupt: string | undefined): ConfigOverrides['sources'] {
  if (!sources || sources.length === 0) return undefined;
  return sources.map((text, i) => {
    const named = /^([A-Za-z0-9][A-Za-z0-9_.-]*)=(.+)$/.exec(text);
    const [id, url] = named && !/^[a-z]+:\/\//i.test(text) ? [named[1], named[2]] : [`s${i + 1}`, text];
    return corrupt ? { id, url, corrupt } : { id, url };
  });
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    config: { type: 'string', short: 'c' },
    source: { type: 'string', short: 's', multiple: true },
    corrupt: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string', short: 'p' },
    bundle: { type: 'string' },
    editor: { type: 'string' },
    steps: { type: 'string' },
    'log-level': { type: 'string' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const config = await loadConfig({
    file: values.config,
    overrides: {
      ...(values['log-level'] ? { logLevel: values['log-level'] as Config['logLevel'] } : {}),
      server: { host: values.host, port: intOption(values.port, 'port', 0, 65535) },
      model: { bundle: values.bundle, editor: values.editor, steps: intOption(values.steps, 'steps', 1, 100) },
      sources: sourceOverrides(values.source, values.corrupt),
    },
  });
  const log = createLogger(config.logLevel);
  await serve(config, log);
  return 0;
}

/** Starts everything; resolves once the pipeline has shut down (signal, or every source ended). */
export async function serve(config: Config, log: Logger): Promise<void> {
  const sources = effectiveSources(config);
  const byId = new Map<string, ConfiguredStream>();
  const server = await PipelineServer.create({
    config,
    info: { version, labels: [], model: { loading: true }, corruptions: [...CORRUPTION_TYPES] },
    log,
    streams: sources.map(sourceDescriptor),
    handlers: {
      setCorruption: (streamId, corruption) => {
        const stream = byId.get(streamId);
        // A configured stream that failed to open has nothing to corrupt: refuse rather than pretend.
        if (stream === undefined) throw new Error(`stream "${streamId}" is not running`);
        stream.setCorruption(corruption);
      },
    },
  });
  const { url } = await server.listen();
  const base = url.replace(/\/$/, '');
  log.info(`dashboard on ${base}/  (WebSocket ${base.replace(/^http/, 'ws')}/ws)`);

  // A bad bundle or no usable source ends the command: close what is open, or it never exits.
  const engine = await openEngine(config.model, log).catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  log.info(`model ${engine.info.name}: editor ${engine.info.editor} (${engine.info.steps} steps) on ${engine.info.provider}`);
  server.setInfo({ labels: engine.info.labels, model: { ...engine.info } });
  server.setModelReady(true);

  // One source that cannot be opened is shown as failed; the others carry on.
  const { opened: streams, failures } = await openStreams(sources, async (source) => {
    const resolved = await resolveSource(source, config, log);
    return ConfiguredStream.create(resolved.config, { label: resolved.label });
  }).catch(async (error: unknown) => {
    await engine.close();
    await server.close();
    throw error;
  });
  for (const failure of failures) server.setStreamState(failure.sourceId, failedSourceUpdate(failure));
  for (const stream of streams) byId.set(stream.source.id, stream);
  describeSources(streams, log);

  const pipeline = Pipeline.start({
    streams,
    engine,
    maxBatch: config.batching.maxBatch,
    maxWaitMs: config.batching.maxWaitMs,
    log,
    sink: {
      frame: (frame, inference) => void server.publishFrame(frame, inference),
      batch: (size, timings) => server.metrics.batch(size, timings),
      dropped: (streamId, count) => server.metrics.framesDropped(streamId, count),
      state: (event) => server.setStreamState(event.sourceId, streamStateUpdate(event)),
    },
  });

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      await pipeline.stop();
      await engine.close();
      await server.close();
    })());
  const removeHandlers = onShutdownSignal(shutdown, log);
  try {
    await pipeline.done;
    log.info('pipeline stopped');
    // Every source gave up (none ended normally): fail, so that a supervisor sees it.
    if (pipeline.sourceErrors.length === streams.length) {
      throw new AllSourcesFailedError([...failures, ...pipeline.sourceErrors.map((e) => sourceFailure({ id: e.sourceId ?? '?', url: e.url }, e))]);
    }
  } finally {
    removeHandlers();
    await shutdown();
  }
}
