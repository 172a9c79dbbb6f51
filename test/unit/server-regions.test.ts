/** What the server keeps of regions: each stream's list, the region streams' entries, and what it announces. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sourceDescriptor } from '../../src/server/dashboard-server.js';
import { StreamRegistry } from '../../src/server/stream-registry.js';

const door = { id: 'door', x: 0, y: 0, width: 0.5, height: 0.5 };
const gate = { id: 'gate', x: 0.5, y: 0.5, width: 0.5, height: 0.5 };

describe('StreamRegistry and regions', () => {
  it("lists a stream's regions, names a region's stream, and forgets it with its region", () => {
    const registry = new StreamRegistry();
    registry.ensure({ id: 'cam', regions: [door, gate] });
    registry.setState('cam.door', { state: 'running' });
    registry.setState('cam.gate', { state: 'running' });
    const byId = (id: string) => registry.summaries().find((s) => s.id === id);
    assert.deepEqual(byId('cam')!.regions, [door, gate]);
    assert.deepEqual([byId('cam.door')!.parent, byId('cam.door')!.region, byId('cam.door')!.regions], ['cam', 'door', undefined]);

    assert.deepEqual(registry.setRegions('cam', [gate]), ['cam.door']);
    assert.equal(registry.has('cam.door'), false);
    assert.equal(registry.wasRemoved('cam.door'), true, 'a late frame of it is not a new stream');
    assert.equal(registry.wasRemoved('cam.gate'), false);
    assert.equal(registry.wasRemoved('other.door'), false, 'an id never known says nothing');
    assert.deepEqual(registry.regionOf('cam.gate'), { parent: 'cam', region: 'gate' });
    registry.setRegions('cam', [gate, door]);
    assert.equal(registry.wasRemoved('cam.door'), false, 'a region added again is expected again');

    registry.remove('cam');
    assert.equal(registry.has('cam.gate'), false, "a stream's regions leave with it");
    assert.deepEqual(['cam', 'cam.gate', 'cam.door'].map((id) => registry.wasRemoved(id)), [true, true, true]);
  });

  it('tells onForget of every id it forgets: a region with its region, a stream with its regions', () => {
    const forgotten: string[] = [];
    const registry = new StreamRegistry({ onForget: (id) => forgotten.push(id) });
    registry.ensure({ id: 'cam', regions: [door, gate] });
    registry.setState('cam.door', { state: 'running' });
    registry.setRegions('cam', [gate]);
    assert.deepEqual(forgotten, ['cam.door']);
    registry.remove('cam');
    assert.deepEqual(forgotten, ['cam.door', 'cam.gate', 'cam']);
  });

  it('a removed stream stays removed until it is registered again, and late statistics register nothing', () => {
    const registry = new StreamRegistry();
    registry.ensure({ id: 'cam', url: 'lavfi:testsrc2' });
    registry.remove('cam');
    assert.equal(registry.wasRemoved('cam'), true);
    registry.stats('cam').recordFrame(performance.now());
    assert.equal(registry.has('cam'), false, 'a late frame count did not bring it back');
    registry.ensure({ id: 'cam', url: 'lavfi:testsrc2' });
    assert.equal(registry.wasRemoved('cam'), false, 'added again: its frames are its own again');
    // Only the newest 1,024 removals are remembered.
    for (let i = 0; i < 1025; i++) {
      registry.ensure({ id: `s${i}` });
      registry.remove(`s${i}`);
    }
    assert.deepEqual([registry.wasRemoved('s0'), registry.wasRemoved('s1'), registry.wasRemoved('s1024')], [false, true, true]);
  });

  it('a stream that takes no regions announces none, and a dotted source id of its own is no region', () => {
    const registry = new StreamRegistry();
    registry.ensure({ id: 'clip' });
    registry.ensure({ id: 'cam', regions: [] });
    registry.ensure({ id: 'cam.1' });
    const summaries = registry.summaries();
    assert.equal(summaries.find((s) => s.id === 'clip')!.regions, undefined);
    assert.deepEqual(summaries.find((s) => s.id === 'cam')!.regions, []);
    assert.equal(summaries.find((s) => s.id === 'cam.1')!.parent, undefined);
    assert.equal(registry.wasRemoved('cam.1'), false, 'a registered stream was not removed');
  });

  it('sourceDescriptor: a live source says its regions ([] when none), a replayed one none', () => {
    assert.deepEqual(sourceDescriptor({ id: 'a', url: 'lavfi:x', mode: 'live', regions: [door] }), { id: 'a', url: 'lavfi:x', corruption: null, regions: [door] });
    assert.deepEqual(sourceDescriptor({ id: 'a', url: 'lavfi:x', mode: 'live' }).regions, []);
    assert.equal(sourceDescriptor({ id: 'a', url: 'x.mp4', mode: 'replay' }).regions, undefined);
  });
});
