/**
 * `serve` for a test: a process of its own (withServe: started on a free port, a client connected,
 * killed afterwards), or the role in this process from config overrides (serveInProcess).
 */
import type { TestContext } from 'node:test';
import { loadConfig, type ConfigOverrides } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { startServe as startServeRole, type ServeHandle, type ServeOptions } from '../../src/runtime/index.js';
import { getJson, startServe, type ServeProcess } from './reliability-cli.js';
import { RecordingClient } from './reliability-ws.js';
import { waitFor } from './wait.js';

/**
 * Spawns `decorruptor serve --port 0 ...args`, connects a RecordingClient as soon as it listens (or,
 * with `ready`, once /readyz answers 200) and runs `body`; then closes the client and kills the
 * process and its ffmpegs (nothing to do when `body` already ended it).
 */
export async function withServe(
  args: string[],
  { ready = false }: { ready?: boolean },
  body: (serve: ServeProcess, client: RecordingClient) => Promise<void>,
): Promise<void> {
  const serve = await startServe(args);
  let client: RecordingClient | undefined;
  try {
    if (ready) await waitFor(async () => (await getJson(`${serve.httpUrl}/readyz`)).status === 200, { what: '/readyz 200', detail: () => `stderr:\n${serve.cli.stderr}` });
    client = await RecordingClient.connect(serve.wsUrl);
    await body(serve, client);
  } finally {
    client?.close();
    await serve.cli.kill();
  }
}

/**
 * startServe in this process from `overrides` alone (no config file, no environment, silent logs
 * unless the overrides say otherwise), stopped when the test ends. Overrides should set
 * `server.port: 0`.
 */
export async function serveInProcess(t: TestContext, overrides: ConfigOverrides, options: Partial<ServeOptions> = {}): Promise<ServeHandle> {
  const config = await loadConfig({ file: null, env: {}, overrides: { logLevel: 'silent', ...overrides } });
  const serving = await startServeRole(config, { log: silentLogger, ...options });
  t.after(() => serving.stop());
  return serving;
}
