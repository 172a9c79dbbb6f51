/** The `cluster` section: the broker URL from flags, env or file, checked with errors that name the field. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { openBroker } from '../../src/runtime/broker.js';
import { silentLogger } from '../../src/log/index.js';

test('cluster.url comes from DECORRUPTOR_NATS_URL, and the defaults are the documented ones', async () => {
  const config = await loadConfig({ file: undefined, env: { DECORRUPTOR_NATS_URL: 'nats://broker:4222,nats://b2:4222' } });
  assert.equal(config.cluster.url, 'nats://broker:4222,nats://b2:4222');
  assert.deepEqual(config.cluster.live, { maxAgeMs: 2000 });
  assert.deepEqual(config.cluster.replay, { ackWaitMs: 30_000, maxDeliver: 5, maxAckPending: 256, maxFrames: 2048 });
  assert.equal((await loadConfig({ file: undefined, env: {} })).cluster.url, undefined, 'no broker unless asked');
});

test('a bad broker URL or setting is refused naming the field and where it came from', async () => {
  await assert.rejects(loadConfig({ file: undefined, env: { DECORRUPTOR_NATS_URL: 'http://broker/x' } }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /cluster\.url: expected nats:\/\/host:port.*\[from env DECORRUPTOR_NATS_URL\]/);
    return true;
  });
  await assert.rejects(loadConfig({ file: undefined, env: {}, overrides: { cluster: { replay: { ackWaitMs: 10 } } } }), /cluster\.replay\.ackWaitMs/);
});

test("a broker role without a URL fails with a ConfigError naming cluster.url (exit status 2)", async () => {
  const config = await loadConfig({ file: undefined, env: {} });
  await assert.rejects(openBroker(config, 'worker', silentLogger), (error: unknown) => error instanceof ConfigError && /cluster\.url: 'worker' needs a broker/.test(error.message));
});

test('cluster.auth and cluster.tls come from the environment; half a pair is refused naming the missing field, without echoing a secret', async () => {
  const config = await loadConfig({
    file: undefined,
    env: { DECORRUPTOR_NATS_USER: 'ingest', DECORRUPTOR_NATS_PASSWORD: 'pw-0123', DECORRUPTOR_NATS_TLS_CA: '/etc/ca.pem' },
  });
  assert.deepEqual(config.cluster.auth, { user: 'ingest', password: 'pw-0123' });
  assert.deepEqual(config.cluster.tls, { ca: '/etc/ca.pem' });
  assert.equal((await loadConfig({ file: undefined, env: {} })).cluster.tls, undefined, 'no TLS unless asked');

  const refused = async (cluster: Record<string, unknown>, pattern: RegExp) =>
    assert.rejects(loadConfig({ file: undefined, env: {}, overrides: { cluster } as never }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, pattern);
      assert.doesNotMatch(error.message, /sekrit-value/);
      return true;
    });
  await refused({ auth: { password: 'sekrit-value' } }, /cluster\.auth\.user: a password needs its user/);
  await refused({ auth: { user: 'ingest' } }, /cluster\.auth\.password: a user needs its password/);
  await refused({ auth: { user: 'ingest', password: 'sekrit-value', token: 'sekrit-value' } }, /cluster\.auth\.user: give a token or a user and password, not both/);
  await refused({ tls: { cert: '/etc/client.pem' } }, /cluster\.tls\.key: a client certificate needs its key/);
  await refused({ url: 'nats://user:sekrit-value@broker:4222' }, /cluster\.url: .*cluster\.auth/);
});
