import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  ENV_VARS,
  configJsonSchema,
  effectiveSources,
  loadConfig,
  type ConfigIssue,
} from '../../src/config/index.js';

let dir: string;
const writeJson = async (name: string, value: unknown): Promise<string> => {
  const file = path.join(dir, name);
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
};

/** Runs `load` and returns the ConfigError it must throw. */
async function configError(load: Promise<unknown>): Promise<ConfigError> {
  try {
    await load;
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

const issueAt = (error: ConfigError, issuePath: string): ConfigIssue => {
  const found = error.issues.find((i) => i.path === issuePath);
  assert.ok(found, `no issue at ${issuePath}; issues: ${JSON.stringify(error.issues)}`);
  return found;
};

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'decorruptor-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadConfig: defaults', () => {
  it('fills every default without a file', async () => {
    const config = await loadConfig({ file: null, env: {} });
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.port, 8080);
    assert.equal(config.server.maxPayloadBytes, 64 * 1024);
    assert.equal(config.server.clientQueueBytes, 2 * 1024 * 1024);
    assert.equal(config.server.heartbeatMs, 10_000);
    assert.equal(config.server.auth.token, undefined);
    assert.deepEqual(config.model, { bundle: 'models/cifar10', editor: 'cm', providers: ['cuda', 'cpu'], ensemble: 'sum', topK: 5, editorNoise: 'bundle', oneThreadMaxBatch: 2, precision: 'fp32', gate: 'auto' });
    assert.deepEqual(config.sinks, {});
    assert.deepEqual(config.batching, { maxBatch: 16, maxWaitMs: 15, replayMaxWaitMs: 100 });
    assert.deepEqual(config.sources, []);
  });

  it('config/default.json says exactly what the built-in defaults say', async () => {
    const fromFile = await loadConfig({ file: 'config/default.json', env: {} });
    assert.deepEqual(fromFile, await loadConfig({ file: null, env: {} }));
  });

  it('every example config is valid', async () => {
    for (const name of ['rtsp-camera', 'replay-file', 'multi-stream']) {
      await loadConfig({ file: `config/examples/${name}.json`, env: {} });
    }
  });

  it('a missing default file is fine; a missing named file is not', async () => {
    const config = await loadConfig({ env: {}, cwd: dir });
    assert.equal(config.server.port, 8080);
    const error = await configError(loadConfig({ file: 'nope.json', env: {}, cwd: dir }));
    assert.equal(error.code, 'CONFIG_UNREADABLE');
    const viaEnv = await configError(loadConfig({ env: { DECORRUPTOR_CONFIG: 'nope.json' }, cwd: dir }));
    assert.equal(viaEnv.code, 'CONFIG_UNREADABLE');
  });
});

describe('loadConfig: sources', () => {
  it('derives mode and realtime from the url; explicit values win', async () => {
    const file = await writeJson('sources.json', {
      sources: [
        { id: 'f', url: 'clips/a.mp4' },
        { id: 'r', url: 'rtsp://cam/1' },
        { id: 'd', url: '/dev/video0' },
        { id: 'l', url: 'lavfi:testsrc2' },
        { id: 'h', url: 'https://host/x.mp4', mode: 'replay', realtime: true },
      ],
    });
    const { sources } = await loadConfig({ file, env: {} });
    assert.deepEqual(
      sources.map((s) => [s.id, s.kind, s.mode, s.realtime]),
      [
        ['f', 'file', 'replay', false],
        ['r', 'network', 'live', true],
        ['d', 'device', 'live', true],
        ['l', 'lavfi', 'live', true],
        ['h', 'network', 'replay', true],
      ],
    );
    assert.equal(sources[0]!.width, 320);
    assert.equal(sources[0]!.fit, 'crop');
    assert.equal(sources[0]!.restart.maxAttempts, null);
  });

  it('an empty list means the demo source', async () => {
    const config = await loadConfig({ file: null, env: {} });
    const [demo] = effectiveSources(config);
    assert.equal(demo!.id, 'demo');
    assert.equal(demo!.kind, 'demo');
  });

  it('rejects duplicate ids, unsupported schemes and odd ids by path', async () => {
    const file = await writeJson('bad-sources.json', {
      sources: [
        { id: 'a', url: 'x.mp4' },
        { id: 'a', url: 'gopher://old' },
        { id: 'has space', url: 'x.mp4', restart: { initialDelayMs: 5000, maxDelayMs: 100 } },
      ],
    });
    const error = await configError(loadConfig({ file, env: {} }));
    assert.equal(error.code, 'CONFIG_INVALID');
    issueAt(error, 'sources[1].id');
    issueAt(error, 'sources[1].url');
    issueAt(error, 'sources[2].id');
  });
});

describe('loadConfig: precedence', () => {
  it('defaults < file < env < overrides', async () => {
    const file = await writeJson('layers.json', { server: { port: 1111, host: '0.0.0.0' }, model: { steps: 2, topK: 3 } });
    const env = { DECORRUPTOR_PORT: '2222', DECORRUPTOR_STEPS: '6' };
    const config = await loadConfig({ file, env, overrides: { model: { steps: 8 } } });
    assert.equal(config.server.host, '0.0.0.0', 'file beats defaults');
    assert.equal(config.model.topK, 3, 'file beats defaults');
    assert.equal(config.server.port, 2222, 'env beats file');
    assert.equal(config.model.steps, 8, 'overrides beat env');
    assert.equal(config.server.heartbeatMs, 10_000, 'untouched defaults stay');
  });

  it('undefined override fields do not erase lower layers; arrays replace', async () => {
    const file = await writeJson('arrays.json', { model: { providers: ['cuda', 'cpu'] }, server: { port: 1234 } });
    const config = await loadConfig({ file, env: {}, overrides: { server: { port: undefined }, model: { providers: ['cpu'] } } });
    assert.equal(config.server.port, 1234);
    assert.deepEqual(config.model.providers, ['cpu']);
  });

  it('reads list and source variables; empty variables count as unset', async () => {
    const config = await loadConfig({
      file: null,
      env: {
        DECORRUPTOR_PROVIDERS: 'cpu',
        DECORRUPTOR_ALLOWED_ORIGINS: 'http://a:1, http://b:2',
        DECORRUPTOR_SOURCES: 'cam=rtsp://h/1,clips/b.mp4',
        DECORRUPTOR_TOKEN: '',
        DECORRUPTOR_HOST: '   ',
      },
    });
    assert.deepEqual(config.model.providers, ['cpu']);
    assert.deepEqual(config.server.allowedOrigins, ['http://a:1', 'http://b:2']);
    assert.deepEqual(config.sources.map((s) => [s.id, s.url]), [['cam', 'rtsp://h/1'], ['s2', 'clips/b.mp4']]);
    assert.equal(config.server.auth.token, undefined);
    assert.equal(config.server.host, '127.0.0.1');
  });
});

describe('loadConfig: errors', () => {
  it('names the field, the value and the variable it came from', async () => {
    const error = await configError(loadConfig({ file: null, env: { DECORRUPTOR_PORT: 'abc' } }));
    assert.equal(error.code, 'CONFIG_INVALID');
    const issue = issueAt(error, 'server.port');
    assert.equal(issue.origin, 'env DECORRUPTOR_PORT');
    assert.match(error.message, /server\.port: expected integer, got "abc"/);
  });

  it('reports every bad field of a file at once, with the file name', async () => {
    const file = await writeJson('many.json', {
      server: { port: 70000, prot: 1, heartbeatMs: 1.5, auth: { token: 'short' } },
      model: { ensemble: 'max', providers: [] },
      logLevel: 3,
    });
    const error = await configError(loadConfig({ file, env: {} }));
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.file, file);
    for (const p of ['server.port', 'server.prot', 'server.heartbeatMs', 'server.auth.token', 'model.ensemble', 'model.providers', 'logLevel']) {
      assert.equal(issueAt(error, p).origin, file);
    }
    assert.ok(error.message.includes(file));
  });

  it('blames the command line for a bad override', async () => {
    const error = await configError(loadConfig({ file: null, env: {}, overrides: { batching: { maxBatch: 0 } } }));
    assert.equal(issueAt(error, 'batching.maxBatch').origin, 'command line');
  });

  it('bad JSON in the file or in DECORRUPTOR_SOURCES', async () => {
    const file = await writeJson('broken.json', '{ "server": ');
    assert.equal((await configError(loadConfig({ file, env: {} }))).code, 'CONFIG_BAD_JSON');
    assert.equal((await configError(loadConfig({ file: null, env: { DECORRUPTOR_SOURCES: '[{' } }))).code, 'CONFIG_BAD_JSON');
  });

  it('a file that is not an object', async () => {
    const file = await writeJson('array.json', [1, 2]);
    const error = await configError(loadConfig({ file, env: {} }));
    assert.equal(error.code, 'CONFIG_INVALID');
    issueAt(error, '');
  });
});

describe('configJsonSchema', () => {
  it('describes the input side and matches the committed config/schema.json', async () => {
    const schema = configJsonSchema();
    const properties = schema['properties'] as Record<string, { properties?: Record<string, unknown> }>;
    assert.ok(properties['server']?.properties?.['port']);
    assert.ok(properties['sources']);
    const committed = JSON.parse(await readFile('config/schema.json', 'utf8'));
    assert.deepEqual(committed, schema, 'regenerate config/schema.json (decorruptor config schema > config/schema.json)');
  });
});

describe('environment variable docs', () => {
  it('docs/configuration.md lists every variable the loader reads', async () => {
    const docs = await readFile('docs/configuration.md', 'utf8');
    for (const variable of ENV_VARS) assert.ok(docs.includes(`\`${variable.name}\``), `${variable.name} is not documented`);
  });
});
