/**
 * Regions of interest in the config (`sources[].regions`) and in the `set-regions` ws message: one
 * set of rules (inside the frame, positive size, unique ids, no "." in an id, live sources only),
 * each refusal naming the field.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, type ConfigIssue } from '../../src/config/index.js';
import { MAX_REGIONS_PER_SOURCE, regionStreamId, splitRegionStreamId } from '../../src/config/regions.js';
import { parseClientMessage } from '../../src/server/protocol.js';

const LIVE = 'lavfi:testsrc2=size=64x48:rate=10';
const door = { id: 'door', x: 0.1, y: 0.2, width: 0.3, height: 0.4 };

/** The issues of loading these sources (none when they are fine). */
async function issuesOf(sources: unknown[]): Promise<readonly ConfigIssue[]> {
  try {
    await loadConfig({ file: null, env: {}, overrides: { sources } as never });
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.issues;
  }
}

async function issueAt(sources: unknown[], path: string, pattern: RegExp): Promise<void> {
  const issues = await issuesOf(sources);
  const found = issues.find((i) => i.path === path);
  assert.ok(found, `no issue at ${path}; issues: ${JSON.stringify(issues)}`);
  assert.match(found.message, pattern);
}

describe('config: sources[].regions', () => {
  it('accepts regions of a live source and keeps them in order', async () => {
    const config = await loadConfig({
      file: null,
      env: {},
      overrides: { sources: [{ id: 'cam', url: LIVE, regions: [door, { id: 'whole', x: 0, y: 0, width: 1, height: 1 }, { id: 'edge', x: 0.7, y: 0.9, width: 0.3, height: 0.1 }] }] },
    });
    assert.deepEqual(config.sources[0]!.regions!.map((r) => r.id), ['door', 'whole', 'edge']);
    // A file served live may have regions too.
    assert.deepEqual(await issuesOf([{ id: 'clip', url: 'clips/a.mp4', mode: 'live', regions: [door] }]), []);
  });

  it('refuses regions outside the frame, of no size, or with negative corners, naming the field', async () => {
    await issueAt([{ id: 'cam', url: LIVE, regions: [{ ...door, x: 0.8, width: 0.3 }] }], 'sources[0].regions[0].width', /x \+ width must be <= 1/);
    await issueAt([{ id: 'cam', url: LIVE, regions: [{ ...door, y: 0.7, height: 0.5 }] }], 'sources[0].regions[0].height', /inside the frame/);
    await issueAt([{ id: 'cam', url: LIVE, regions: [{ ...door, width: 0 }] }], 'sources[0].regions[0].width', /> 0/);
    await issueAt([{ id: 'cam', url: LIVE, regions: [{ ...door, x: -0.1 }] }], 'sources[0].regions[0].x', />= 0/);
    await issueAt([{ id: 'cam', url: LIVE, regions: [{ ...door, y: 1.5 }] }], 'sources[0].regions[0].y', /<= 1/);
    await issueAt([{ id: 'cam', url: LIVE, regions: [{ id: 'door', x: 0, y: 0, width: 0.5 }] }], 'sources[0].regions[0].height', /required/);
    await issueAt([{ id: 'cam', url: LIVE, regions: [{ ...door, colour: 'red' }] }], 'sources[0].regions[0].colour', /unknown key/);
  });

  it('refuses duplicate ids, ids with "." or odd characters, and too many regions', async () => {
    await issueAt([{ id: 'cam', url: LIVE, regions: [door, { ...door, x: 0.5 }] }], 'sources[0].regions[1].id', /duplicate region id "door"/);
    await issueAt([{ id: 'cam', url: LIVE, regions: [{ ...door, id: 'front.door' }] }], 'sources[0].regions[0].id', /no "\."/);
    await issueAt([{ id: 'cam', url: LIVE, regions: [{ ...door, id: 'front door' }] }], 'sources[0].regions[0].id', /letters, digits/);
    const many = Array.from({ length: MAX_REGIONS_PER_SOURCE + 1 }, (_, i) => ({ ...door, id: `r${i}` }));
    await issueAt([{ id: 'cam', url: LIVE, regions: many }], 'sources[0].regions', new RegExp(`at most ${MAX_REGIONS_PER_SOURCE}`));
  });

  it('refuses regions on a replayed source, saying how to serve it live', async () => {
    await issueAt([{ id: 'clip', url: 'clips/a.mp4', regions: [door] }], 'sources[0].regions', /need a live source.*mode "live"/);
    await issueAt([{ id: 'cam', url: LIVE, mode: 'replay', regions: [door] }], 'sources[0].regions', /replayed/);
    assert.deepEqual(await issuesOf([{ id: 'clip', url: 'clips/a.mp4', regions: [] }]), [], 'an empty list is no region');
  });

  it("refuses a region whose stream id is another source's, or too long", async () => {
    await issueAt([{ id: 'cam', url: LIVE, regions: [door] }, { id: 'cam.door', url: LIVE }], 'sources[0].regions[0].id', /"cam\.door" is also a source id/);
    const longId = 'c'.repeat(60);
    await issueAt([{ id: longId, url: LIVE, regions: [{ ...door, id: 'doorway' }] }], 'sources[0].regions[0].id', /longer than 64/);
  });
});

describe('region stream ids', () => {
  it('<stream>.<region>, split at the last "." (stream ids may hold dots, region ids not)', () => {
    assert.equal(regionStreamId('cam.1', 'door'), 'cam.1.door');
    assert.deepEqual(splitRegionStreamId('cam.1.door'), { streamId: 'cam.1', regionId: 'door' });
    assert.equal(splitRegionStreamId('cam'), undefined);
    assert.equal(splitRegionStreamId('cam.'), undefined);
  });
});

describe('the set-regions message', () => {
  const parse = (message: unknown) => parseClientMessage(Buffer.from(JSON.stringify(message)), false);

  it('takes a stream id and a list of regions ([] removes them all)', () => {
    const parsed = parse({ type: 'set-regions', streamId: 'cam', regions: [door] });
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.message, { type: 'set-regions', streamId: 'cam', regions: [door] });
    assert.ok(parse({ type: 'set-regions', streamId: 'cam', regions: [] }).ok);
  });

  it('refuses what the config refuses: BAD_MESSAGE naming the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ type: 'set-regions', streamId: 'cam', regions: [{ ...door, x: 0.9 }] }, /^regions\.0\.width: x \+ width must be <= 1/],
      [{ type: 'set-regions', streamId: 'cam', regions: [door, door] }, /^regions\.1\.id: duplicate region id/],
      [{ type: 'set-regions', streamId: 'cam', regions: [{ ...door, id: 'a.b' }] }, /^regions\.0\.id: .*no "\."/],
      [{ type: 'set-regions', streamId: 'c'.repeat(60), regions: [{ ...door, id: 'doorway' }] }, /^regions\.0\.id: .*longer than 64/],
      [{ type: 'set-regions', streamId: 'cam' }, /^regions: /],
      [{ type: 'set-regions', regions: [door] }, /^streamId: /],
    ];
    for (const [message, pattern] of cases) {
      const parsed = parse(message);
      assert.ok(!parsed.ok, JSON.stringify(message));
      assert.equal(parsed.code, 'BAD_MESSAGE');
      assert.equal(parsed.type, 'set-regions');
      assert.match(parsed.message, pattern);
    }
  });
});
