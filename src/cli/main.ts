#!/usr/bin/env node
/**
 * `decorruptor <command> [options]`. Each command lives in src/cli/commands/<name>.ts and exports
 * `run(argv): Promise<number>` (the exit code); this file only dispatches and maps errors.
 * Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad configuration.
 */
import { UsageError, exitCodeFor, formatError } from './errors.js';

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const COMMANDS: Record<string, Command> = {
  serve: { summary: 'run the live pipeline: sources -> editor -> dashboard and /ws', load: () => import('./commands/serve.js') },
  run: { summary: 'replay a file through the pipeline, one JSON line per frame', load: () => import('./commands/run.js') },
  ingest: { summary: 'scale-out: run sources and publish their frames to the NATS broker', load: () => import('./commands/ingest.js') },
  worker: { summary: 'scale-out: pull frames from the NATS broker, run the model, publish results', load: () => import('./commands/worker.js') },
  gateway: { summary: 'scale-out: dashboard and /ws fed from the NATS broker', load: () => import('./commands/gateway.js') },
  eval: { summary: 'CIFAR-10-C-style benchmark: source vs adapted accuracy per corruption', load: () => import('./commands/eval.js') },
  corrupt: { summary: 'write a corrupted copy of a video (a test feed)', load: () => import('./commands/corrupt.js') },
  bench: { summary: 'measure editor cost, pipeline efficiency, live latency, scaling, memory', load: () => import('./commands/bench.js') },
  data: { summary: 'fetch data sets (decorruptor data cifar10)', load: () => import('./commands/data.js') },
  bundle: { summary: 'inspect or check a model bundle, or pair another classifier with its editor', load: () => import('./commands/bundle.js') },
  config: { summary: 'print the configuration JSON Schema or the effective configuration', load: () => import('./commands/config.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: decorruptor <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'decorruptor <command> --help' for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    const { version } = await import('../runtime/version.js');
    console.log(version);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command '${name}'\n\n${usage()}`);
  return (await command.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`decorruptor: ${formatError(error)}`);
    process.exitCode = exitCodeFor(error);
  },
);
