/** One `serve` process of a test's own: started on a free port, a client connected, killed afterwards. */
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
