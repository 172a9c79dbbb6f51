/**
 * The broker connection secured (issue 13): a real nats-server started here with a token and TLS
 * that verifies clients (certificates made by the test's own CA), and one with a user and
 * password. An ingest and a gateway configured from the environment carry a stream's state over
 * it; refused credentials and an unreadable CA file are configuration errors naming the field;
 * a password in the URL works and never reaches a log line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { createLogger, silentLogger } from '../../src/log/index.js';
import { startGateway, startIngest } from '../../src/runtime/index.js';
import { openBroker } from '../../src/runtime/broker.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { RecordingClient } from '../helpers/reliability-ws.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeTestCerts } from '../helpers/test-certs.js';

const TOKEN = 'nats-token-0123456789';

test('token + TLS with client certificates: an ingest and a gateway configured from the environment carry stream states; a wrong token or a missing CA file is a ConfigError naming the field', async (t) => {
  const certs = await makeTestCerts(await tempDir(t, 'nats-certs-'));
  const nats = await startNatsServer({
    config: [`authorization { token: "${TOKEN}" }`, 'tls {', `  cert_file: "${certs.serverCert}"`, `  key_file: "${certs.serverKey}"`, `  ca_file: "${certs.ca}"`, '  verify: true', '}', ''].join('\n'),
  });
  t.after(() => nats.dispose());
  const env = {
    DECORRUPTOR_NATS_URL: nats.url,
    DECORRUPTOR_NATS_TOKEN: TOKEN,
    DECORRUPTOR_NATS_TLS_CA: certs.ca,
    DECORRUPTOR_NATS_TLS_CERT: certs.clientCert,
    DECORRUPTOR_NATS_TLS_KEY: certs.clientKey,
  };
  const overrides = { logLevel: 'silent' as const, server: { port: 0 } };
  const ingest = await startIngest(await loadConfig({ file: undefined, env, overrides: { ...overrides, sources: [{ id: 'secure', url: 'lavfi:testsrc2=size=32x24:rate=5', width: 32, height: 24 }] } }), { log: silentLogger });
  t.after(() => ingest.stop());
  const gateway = await startGateway(await loadConfig({ file: undefined, env, overrides }), { log: silentLogger });
  t.after(() => gateway.stop());
  const client = await RecordingClient.connect(`${gateway.url.replace(/^http/, 'ws')}ws`);
  t.after(() => client.close());
  await client.waitFor(() => client.states('secure').some((m) => m['state'] === 'running'), "the ingest's 'running' state, over TLS");

  const refused = await loadConfig({ file: undefined, env: { ...env, DECORRUPTOR_NATS_TOKEN: 'not-the-token-0123' } });
  await assert.rejects(openBroker(refused, 'worker', silentLogger), (error: unknown) => error instanceof ConfigError && /cluster\.auth: the broker at .* refused the credentials/.test(error.message));
  const noCa = await loadConfig({ file: undefined, env: { ...env, DECORRUPTOR_NATS_TLS_CA: `${certs.ca}.missing` } });
  await assert.rejects(openBroker(noCa, 'worker', silentLogger), (error: unknown) => error instanceof ConfigError && /cluster\.tls\.ca: cannot read .*\.missing: no such file/.test(error.message));
});

test('user and password from the environment; the password never reaches a log line, and is refused in the URL', async (t) => {
  const nats = await startNatsServer({ config: 'authorization { user: "decorruptor", password: "pw-never-logged-42" }\n' });
  t.after(() => nats.dispose());
  const lines: string[] = [];
  const log = createLogger('debug', { write: (line) => void lines.push(line) });
  const config = await loadConfig({ file: undefined, env: { DECORRUPTOR_NATS_URL: nats.url, DECORRUPTOR_NATS_USER: 'decorruptor', DECORRUPTOR_NATS_PASSWORD: 'pw-never-logged-42' } });
  const { broker } = await openBroker(config, 'worker', log);
  try {
    assert.equal(broker.connected, true);
    assert.ok(lines.some((line) => /connected to/.test(line)), 'the connection was logged');
    assert.equal(lines.filter((line) => line.includes('pw-never-logged-42')).length, 0, lines.join('\n'));
  } finally {
    await broker.close();
  }
  await assert.rejects(
    loadConfig({ file: undefined, env: { DECORRUPTOR_NATS_URL: nats.url.replace('nats://', 'nats://decorruptor:pw-never-logged-42@') } }),
    (error: unknown) => error instanceof ConfigError && /cluster\.url: .*cluster\.auth/.test(error.message) && !error.message.includes('pw-never-logged-42'),
  );
});
