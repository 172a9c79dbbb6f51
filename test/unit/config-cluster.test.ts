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
