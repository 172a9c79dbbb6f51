/**
 * The corruption gate in the engine, on fixture bundles: the tiny bundle (no gate: every frame
 * edited, as before) and its gated variant, whose gate scores a frame's mean brightness (white 1,
 * black 0; threshold 0.5). And through `run`: a replay whose picture goes from white to black turns
 * its stream's editor off once, smoothed, and `--gate off` edits every frame (and scores the stream
 * as a decided one).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { InferenceEngine, type InferenceEngineOptions } from '../../src/model/engine.js';
import type { Frame } from '../../src/stream/frame.js';
import { editManifest } from '../helpers/bundle-manifest.js';
import { CliProcess } from '../helpers/reliability-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/model/', import.meta.url));
const PLAIN = path.join(FIXTURES, 'bundle');
const GATED = path.join(FIXTURES, 'gated');
const exec = promisify(execFile);

/** A 32x32 frame of one grey level. */
function grey(level: number, streamId = 's', seq = 0, edit?: boolean): Frame {
  const frame: Frame = { streamId, seq, ptsMs: seq * 40, capturedAt: performance.now(), width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(level), discontinuity: false };
  return edit === undefined ? frame : { ...frame, edit };
}

async function withEngine<T>(options: Partial<InferenceEngineOptions>, body: (engine: InferenceEngine) => Promise<T>): Promise<T> {
  const engine = await InferenceEngine.create({ bundleDir: GATED, editor: 'cm', intraOpThreads: 1, ...options });
  try {
    return await body(engine);
  } finally {
    await engine.close();
  }
}

describe('the corruption gate in the engine', () => {
  it('a bundle without a gate loads as before and edits every frame, whatever the frames say', async () => {
    await withEngine({ bundleDir: PLAIN }, async (engine) => {
      assert.equal(engine.info.gate, null);
      const results = await engine.infer([grey(0), grey(255), grey(0, 's', 1, false)]);
      for (const r of results) {
        assert.equal(r.gate, null);
        assert.notEqual(r.edited, null);
        assert.notEqual(r.editedImage, null);
      }
    });
  });

  it('auto: edits the frames that score at least the threshold; the others answer with the source prediction', async () => {
    await withEngine({}, async (engine) => {
      assert.deepEqual(engine.info.gate, { mode: 'auto', threshold: 0.5 });
      const [dark, bright, light] = await engine.infer([grey(0, 'a'), grey(255, 'b'), grey(140, 'c')]);
      // The fixture's gate scores brightness; float rounding may leave a hair above 0 or below 1.
      assert.equal(dark.gate!.active, false);
      assert.ok(dark.gate!.score! < 1e-6, `dark score ${dark.gate!.score}`);
      assert.equal(dark.edited, null);
      assert.equal(dark.editedImage, null);
      assert.deepEqual(dark.ensemble, dark.source);
      assert.equal(bright.gate!.active, true);
      assert.ok(bright.gate!.score! > 1 - 1e-6, `bright score ${bright.gate!.score}`);
      assert.notEqual(bright.edited, null);
      assert.equal(light.gate!.active, true, `score ${light.gate!.score}`);
      assert.ok(dark.timings.gateMs >= 0);
    });
  });

  it("a frame's own decision (the stream's, made upstream) overrides its score", async () => {
    await withEngine({}, async (engine) => {
      const [dark, bright] = await engine.infer([grey(0, 'a', 0, true), grey(255, 'b', 0, false)]);
      assert.deepEqual([dark.gate!.active, dark.edited !== null], [true, true]);
      assert.deepEqual([bright.gate!.active, bright.edited !== null], [false, false]);
      assert.equal(bright.gate!.score, 1, 'the score is still reported');
    });
  });

  it('an edit in a batch of mixed frames is the edit the frame gets alone', async () => {
    await withEngine({}, async (engine) => {
      const [, mixed] = await engine.infer([grey(0, 'a'), grey(230, 'b'), grey(10, 'c')]);
      const [alone] = await engine.infer([grey(230, 'b')]);
      assert.deepEqual(mixed.editedImage, alone.editedImage);
      assert.deepEqual(mixed.ensemble, alone.ensemble);
    });
  });

  it("a frame that brings its stream's level is not scored: its decision stands, and the gate model does not run", async () => {
    await withEngine({}, async (engine) => {
      // Bright frames the gate would edit, dark ones it would not: the decisions say otherwise.
      const unscored = await engine.infer([{ ...grey(255, 'a', 0, false), gateLevel: 0.3 }, { ...grey(0, 'b', 0, true), gateLevel: 0.7 }]);
      assert.deepEqual(unscored.map((r) => r.gate), [{ score: null, active: false }, { score: null, active: true }]);
      assert.equal(unscored[0]!.edited, null);
      assert.notEqual(unscored[1]!.edited, null);
      assert.equal(unscored[0]!.timings.gateMs, 0, 'no frame to score: the gate model is not run');
      // Mixed in one batch: only the frame without a level is scored.
      const [scored, carried] = await engine.infer([grey(255, 'c'), { ...grey(255, 'd', 0, false), gateLevel: 0.3 }]);
      assert.ok(scored!.gate!.score! > 1 - 1e-6);
      assert.equal(carried!.gate!.score, null);
    });
  });

  it('off: every frame is edited and scored; the threshold can be overridden', async () => {
    await withEngine({ gate: 'off' }, async (engine) => {
      assert.deepEqual(engine.info.gate, { mode: 'off', threshold: 0.5 });
      const [dark] = await engine.infer([grey(0, 'a', 0, false)]);
      assert.equal(dark.gate!.active, true);
      assert.ok(dark.gate!.score! < 1e-6, `dark score ${dark.gate!.score}`);
      assert.notEqual(dark.edited, null);
    });
    await withEngine({ gateThreshold: 0.9 }, async (engine) => {
      const [light] = await engine.infer([grey(200)]);
      assert.equal(light.gate!.active, false);
    });
    await assert.rejects(InferenceEngine.create({ bundleDir: GATED, editor: 'cm', gateThreshold: 2 }), { code: 'ENGINE_OPTIONS_INVALID' });
  });

  it('without an editor there is nothing to gate: no gate is opened', async () => {
    await withEngine({ editor: 'none' }, async (engine) => {
      assert.equal(engine.info.gate, null);
      const [r] = await engine.infer([grey(255)]);
      assert.equal(r.gate, null);
      assert.equal(r.edited, null);
    });
  });

  it("'learned' weighs the edit by the editor's rule; without a rule (or without a gate) it is 'sum'", async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'gate-rule-'));
    try {
      await cp(PLAIN, path.join(root, 'bundle'), { recursive: true });
      await cp(GATED, path.join(root, 'gated'), { recursive: true });
      const gated = path.join(root, 'gated');
      await withEngine({ bundleDir: gated, ensemble: 'learned' }, async (engine) => assert.equal(engine.info.ensemble, 'sum'));
      await withEngine({ bundleDir: PLAIN, ensemble: 'learned' }, async (engine) => assert.equal(engine.info.ensemble, 'sum'));
      // A rule that trusts the edit completely: the ensemble is the edited prediction.
      await editManifest(gated, (manifest) => (manifest.editors.cm.ensembleRule = { features: ['bias', 'gate'], weights: [-20, 60] }));
      await withEngine({ bundleDir: gated, ensemble: 'learned' }, async (engine) => {
        assert.equal(engine.info.ensemble, 'learned');
        const [bright] = await engine.infer([grey(255)]);
        assert.deepEqual(bright.ensemble.label, bright.edited!.label);
        assert.ok(Math.abs(bright.ensemble.confidence - bright.edited!.confidence) < 1e-6);
        // An unscored frame: its stream's level stands in for the score (0: trust the source).
        const [carried] = await engine.infer([{ ...grey(255, 's', 1, true), gateLevel: 0 }]);
        assert.notEqual(carried!.edited, null);
        assert.deepEqual(carried!.ensemble.label, carried!.source.label);
        assert.ok(Math.abs(carried!.ensemble.confidence - carried!.source.confidence) < 1e-6);
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a gate file named in the manifest must exist', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gate-missing-'));
    try {
      await cp(PLAIN, dir, { recursive: true });
      await editManifest(dir, (manifest) => (manifest.gate = { file: 'gate.onnx', inputSize: { width: 32, height: 32 } }));
      await assert.rejects(InferenceEngine.create({ bundleDir: dir, editor: 'cm' }), { code: 'BUNDLE_FILE_MISSING' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

interface Line { seq: number; edited: unknown; gate?: { score: number | null; active: boolean; level: number; streamActive: boolean | null } }

describe('the corruption gate per stream (run)', { timeout: 120_000 }, () => {
  /** 1 s of white then 1 s of black, 25 fps. */
  async function whiteThenBlack(file: string): Promise<void> {
    await exec('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'color=c=white:s=64x48:r=25:d=1', '-f', 'lavfi', '-i', 'color=c=black:s=64x48:r=25:d=1',
      '-filter_complex', '[0][1]concat=n=2:v=1', '-c:v', 'ffv1', file,
    ]);
  }

  /** `offDelayMs`: gateSmoothing's (the default's 1.5 s would outlast this clip's black second). */
  async function replay(dir: string, clip: string, gate: string, offDelayMs = 0): Promise<Line[]> {
    const out = path.join(dir, `${gate}-${offDelayMs}.jsonl`);
    const config = path.join(dir, `gate-${offDelayMs}.json`);
    await writeFile(config, JSON.stringify({ gateSmoothing: { offDelayMs } }));
    // Batches of 2, two in flight: a stream's decision reaches its frames a few frames late.
    const cli = new CliProcess(['run', '--config', config, '--source', clip, '--out', out, '--bundle', GATED, '--gate', gate, '--batch', '2']);
    const { code } = await cli.exited;
    assert.equal(code, 0, cli.stderr);
    return (await readFile(out, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Line);
  }

  it('the stream switches the editor off once, a few frames after the picture turns clean; --gate off edits all', async (t) => {
    const dir = await tempDir(t, 'gate-run-');
    const clip = path.join(dir, 'white-black.mkv');
    await whiteThenBlack(clip);
    const lines = await replay(dir, clip, 'auto');
    assert.equal(lines.length, 50);
    const active = lines.map((l) => l.gate!.active);
    // The first frame decides by its own score; the stream stays on while white.
    assert.ok(active.slice(0, 25).every(Boolean), `white frames edited: ${active.slice(0, 25)}`);
    const firstOff = active.indexOf(false);
    // Once decided, the stream is scored once every 100 ms (gateSmoothing.scoreEveryMs): every
    // third frame at 25 fps. The frames in between carry its level and skip the gate model; inside
    // the hysteresis band (0.4-0.5 here), where the next score may switch it, every frame is scored.
    const scored = lines.flatMap((l, i) => (l.gate!.score === null ? [] : [i]));
    assert.ok(lines.every((l) => typeof l.gate!.level === 'number'), 'every frame carries the level');
    const gaps = scored.slice(1).map((i, k) => i - scored[k]!);
    assert.ok(gaps.every((g) => g >= 1 && g <= 3) && gaps.filter((g) => g === 3).length >= 12, `scored frames ${scored}`);
    // Half-life 200 ms, hysteresis 0.1 below 0.5: the level falls to 0.66 and 0.43 on the first two
    // scored black frames (120 ms apart); in the band, every frame marked once that level is back
    // is scored (the first of them takes it under 0.4). Batches of two, two in flight: the level
    // reaches the frames a few frames late, as the decision does.
    const black = scored.filter((i) => i >= 25);
    const inBand = lines.findIndex((l, i) => i >= 25 && l.gate!.score !== null && l.gate!.level < 0.5);
    assert.equal(inBand, black[1], `scored frames ${scored}`);
    assert.ok(black[2]! - inBand <= 3 && black[3] === black[2]! + 1, `in the band every frame is scored: ${scored}`);
    const levelOff = lines.findIndex((l) => l.gate!.streamActive === false);
    assert.equal(levelOff, black[2], `level under 0.4 at frame ${levelOff}; scored frames ${scored}`);
    assert.ok(firstOff > levelOff && firstOff <= levelOff + 5, `first gated frame ${firstOff}`);
    assert.ok(active.slice(firstOff).every((a) => !a), 'no flicker back');
    for (const l of lines) assert.equal(l.edited === null, !l.gate!.active);

    // With the default off delay (1.5 s) the black second is too short to switch the editor off.
    const delayed = await replay(dir, clip, 'auto', 1500);
    assert.ok(delayed.every((l) => l.gate!.active && l.gate!.streamActive !== false), `gated: ${delayed.filter((l) => !l.gate!.active).map((l) => l.seq)}`);

    // Gate off edits every frame, and scores the stream as a decided one: once every 100 ms.
    const off = await replay(dir, clip, 'off');
    assert.ok(off.every((l) => l.gate!.active && l.gate!.streamActive !== false && l.edited !== null));
    assert.ok(off.every((l) => typeof l.gate!.level === 'number'), 'every frame carries the level');
    const offScored = off.flatMap((l, i) => (l.gate!.score === null ? [] : [i]));
    const offGaps = offScored.slice(1).map((i, k) => i - offScored[k]!);
    assert.ok(offScored.length <= 25 && offGaps.filter((g) => g === 3).length >= 12, `gate off, scored frames ${offScored}`);
  });
});
