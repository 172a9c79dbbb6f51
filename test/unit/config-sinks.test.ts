/** sinks.mqtt and sinks.webhooks: defaults, the environment variables, and errors that name the field without echoing secrets. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, type ConfigOverrides } from '../../src/config/index.js';

const load = (sinks: ConfigOverrides['sinks'], env: Record<string, string> = {}) => loadConfig({ file: null, env, overrides: { sinks } });

describe('sinks.mqtt', () => {
  it('needs only a URL; everything else has a default', async () => {
    const { sinks } = await load({ mqtt: { url: 'mqtt://broker.lan:1883' } });
    assert.deepEqual(sinks.mqtt, {
      url: 'mqtt://broker.lan:1883',
      topicPrefix: 'decorruptor',
      qos: 0,
      retain: true,
      labelMaxPerSecond: 2,
      bufferSize: 1000,
      statsIntervalMs: 10_000,
      reconnect: { initialDelayMs: 500, maxDelayMs: 30_000 },
      connectTimeoutMs: 10_000,
    });
  });

  it('comes from the environment: URL, prefix, user and password', async () => {
    const env = { DECORRUPTOR_MQTT_URL: 'mqtts://broker.lan:8883', DECORRUPTOR_MQTT_TOPIC_PREFIX: 'home/cams', DECORRUPTOR_MQTT_USERNAME: 'cams', DECORRUPTOR_MQTT_PASSWORD: 's3cret' };
    const { sinks } = await load(undefined, env);
    assert.equal(sinks.mqtt?.url, 'mqtts://broker.lan:8883');
    assert.equal(sinks.mqtt?.topicPrefix, 'home/cams');
    assert.equal(sinks.mqtt?.username, 'cams');
    assert.equal(sinks.mqtt?.password, 's3cret');
  });

  it('a bad value names its field', async () => {
    await assert.rejects(load({ mqtt: { url: 'http://broker.lan' } }), /sinks\.mqtt\.url: expected a broker URL/);
    await assert.rejects(load({ mqtt: { url: 'mqtt://b', qos: 3 as 0 } }), /sinks\.mqtt\.qos/);
    await assert.rejects(load({ mqtt: { url: 'mqtt://b', topicPrefix: 'cams/#' } }), /sinks\.mqtt\.topicPrefix: expected a topic without/);
    await assert.rejects(load({ mqtt: { url: 'mqtt://b', reconnect: { initialDelayMs: 5000, maxDelayMs: 1000 } } }), /sinks\.mqtt\.reconnect\.initialDelayMs: must not exceed maxDelayMs/);
    await assert.rejects(load({ mqtt: { url: 'mqtt://b', bufsize: 3 } as never }), /sinks\.mqtt\.bufsize: unknown key/);
  });

  it('a password of the wrong type is reported without its value', async () => {
    await assert.rejects(load({ mqtt: { url: 'mqtt://b', password: 12345678 as unknown as string } }), (error: Error) => {
      assert.match(error.message, /sinks\.mqtt\.password: expected a string/);
      assert.doesNotMatch(error.message, /12345678/);
      return true;
    });
  });
});

describe('sinks.webhooks', () => {
  it('fills in each hook', async () => {
    const { sinks } = await load({ webhooks: [{ url: 'https://hooks.example/decorruptor' }] });
    assert.deepEqual(sinks.webhooks, [
      {
        url: 'https://hooks.example/decorruptor',
        on: ['label-change'],
        cooldownSeconds: 10,
        headers: {},
        includeSnapshot: false,
        timeoutMs: 5000,
        retries: 3,
        retryDelay: { initialDelayMs: 1000, maxDelayMs: 30_000 },
        queueSize: 100,
      },
    ]);
  });

  it('a bad value names the hook and the field; header values are not echoed', async () => {
    await assert.rejects(load({ webhooks: [{ url: 'https://ok.example' }, { url: 'ftp://x' }] }), /sinks\.webhooks\[1\]\.url: expected an http:\/\/ or https:\/\/ URL/);
    await assert.rejects(load({ webhooks: [{ url: 'https://ok.example', on: ['labels' as 'state'] }] }), /sinks\.webhooks\[0\]\.on\[0\]: expected one of "label-change", "state"/);
    await assert.rejects(load({ webhooks: [{ url: 'https://a.example', name: 'x' }, { url: 'https://b.example', name: 'x' }] }), /sinks\.webhooks\[1\]\.name: duplicate webhook name "x"/);
    await assert.rejects(load({ webhooks: [{ url: 'https://a.example', headers: { Authorization: 42 as unknown as string } }] }), (error: Error) => {
      assert.match(error.message, /sinks\.webhooks\[0\]\.headers\.Authorization: expected a string/);
      assert.doesNotMatch(error.message, /42/);
      return true;
    });
  });
});
