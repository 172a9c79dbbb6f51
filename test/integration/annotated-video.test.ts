/**
 * `run --annotate`: one H.264 frame per input frame at the source's rate, the labels readable in a
 * screenshot (ffmpeg -frames:v 1 to PNG: the glyphs of the frame's own labels are where the text
 * is, those of any other label are not); side-by-side doubles the width; a replay whose sink falls
 * behind waits for it instead of piling frames up.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { replayWindow, startReplay } from '../../src/runtime/index.js';
import { ADVANCE, LINE_HEIGHT } from '../../src/image/draw-text.js';
import type { RgbImage } from '../../src/image/index.js';
import { annotateFrame, annotationLines, textPlacement } from '../../src/sinks/annotate-frame.js';
import type { FrameSink } from '../../src/sinks/index.js';
import { CliProcess, FIXTURE_BUNDLE } from '../helpers/reliability-cli.js';
import { makeTestClip } from '../helpers/stream-ffmpeg.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);

async function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const cli = new CliProcess(['run', '--bundle', FIXTURE_BUNDLE, ...args]);
  const { code } = await cli.exited;
  return { code, stderr: cli.stderr };
}

async function videoStream(file: string): Promise<{ frames: number; width: number; height: number; codec: string; rate: string }> {
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,height,codec_name,r_frame_rate', '-of', 'json', file]);
  const [s] = (JSON.parse(stdout) as { streams: Array<Record<string, string | number>> }).streams;
  return { frames: Number(s!.nb_read_frames), width: Number(s!.width), height: Number(s!.height), codec: String(s!.codec_name), rate: String(s!.r_frame_rate) };
}

/** Frame `n` of a video, as a PNG screenshot read back into rgb24. */
async function screenshot(file: string, n: number, png: string): Promise<RgbImage> {
  await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', file, '-vf', `select=eq(n\\,${n})`, '-frames:v', '1', png]);
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

const luma = (d: Uint8Array, i: number) => 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!;

/**
 * How well `candidate`, written as the adapted label, matches the screenshot: in the box of the
 * first line where the label goes, mean brightness where its glyphs would be minus mean brightness
 * where they would not. The label the frame really carries scores far higher than any other.
 */
function labelContrast(shot: RgbImage, written: JsonlLine, candidate: string): number {
  const pred = (label: string, confidence: number) => ({ label, index: 0, confidence, topk: [] });
  const inference = { ensemble: pred(candidate, written.confidence), source: pred(written.source.label, written.source.confidence), editedImage: null };
  const black = { width: shot.width, height: shot.height, data: new Uint8Array(shot.width * shot.height * 3) };
  const mask = annotateFrame(black, inference, 'overlay').data;
  const lines = annotationLines(inference);
  const { x, y, scale } = textPlacement(shot.width, shot.height, lines);
  const left = x + lines[0]!.indexOf(candidate) * ADVANCE * scale;
  const right = left + Math.max(candidate.length, written.label.length) * ADVANCE * scale;
  const on: number[] = [];
  const off: number[] = [];
  for (let row = y; row < y + LINE_HEIGHT * scale; row++) {
    for (let col = left; col < right; col++) {
      const i = (row * shot.width + col) * 3;
      (mask[i] === 255 ? on : off).push(luma(shot.data, i));
    }
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  return mean(on) - mean(off);
}

interface JsonlLine {
  label: string;
  confidence: number;
  source: { label: string; confidence: number };
}

test('run --annotate writes one frame per input frame at its rate, and a screenshot shows the frame\'s labels', async (t) => {
  const dir = await tempDir(t, 'annotate-');
  const clip = await makeTestClip(join(dir, 'clip.mp4'), { frames: 48, width: 320, height: 240, fps: 24 });
  const out = join(dir, 'results.jsonl');
  const video = join(dir, 'annotated.mp4');
  const { code, stderr } = await run(['--source', clip, '--out', out, '--annotate', video, '--batch', '8']);
  assert.equal(code, 0, stderr);

  const source = await videoStream(clip);
  const annotated = await videoStream(video);
  assert.equal(annotated.frames, source.frames);
  assert.deepEqual(annotated, { ...source, codec: 'h264' }, 'the source size and rate, in H.264');
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as JsonlLine);
  assert.equal(lines.length, source.frames);

  const n = 10;
  const shot = await screenshot(video, n, join(dir, 'frame.png'));
  const written = lines[n]!;
  const own = labelContrast(shot, written, written.label);
  assert.ok(own > 150, `the label's glyphs stand out (${own.toFixed(0)})`);
  const labels = (JSON.parse(readFileSync(join(FIXTURE_BUNDLE, 'manifest.json'), 'utf8')) as { labels: string[] }).labels;
  for (const other of labels.filter((l) => l !== written.label)) {
    const theirs = labelContrast(shot, written, other);
    assert.ok(theirs < own - 60, `"${other}" is not what is written (${theirs.toFixed(0)} vs ${own.toFixed(0)} for "${written.label}")`);
  }
  // Below the band, the original frame.
  const plain = (await screenshot(clip, n, join(dir, 'source-frame.png'))).data;
  let diff = 0;
  const start = 60 * shot.width * 3;
  for (let i = start; i < shot.data.length; i++) diff += Math.abs(shot.data[i]! - plain[i]!);
  assert.ok(diff / (shot.data.length - start) < 8, `the rest of the frame is the original (mean difference ${(diff / (shot.data.length - start)).toFixed(1)})`);
});

test('run --annotate-layout side-by-side puts the edited frame beside the original; a bad layout exits 2 naming it', async (t) => {
  const dir = await tempDir(t, 'annotate-');
  const clip = await makeTestClip(join(dir, 'clip.mp4'), { frames: 20, width: 160, height: 120, fps: 10 });
  const video = join(dir, 'sbs.mkv');
  const { code, stderr } = await run(['--source', clip, '--out', join(dir, 'r.jsonl'), '--annotate', video, '--annotate-layout', 'side-by-side']);
  assert.equal(code, 0, stderr);
  assert.deepEqual(await videoStream(video), { frames: 20, width: 320, height: 120, codec: 'h264', rate: '10/1' });

  const bad = await run(['--source', clip, '--out', join(dir, 'r.jsonl'), '--annotate', video, '--annotate-layout', 'diagonal']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /sinks\.annotatedVideo\.layout/);
  const missing = await run(['--source', clip, '--out', join(dir, 'r.jsonl'), '--annotate', join(dir, 'no', 'such', 'dir', 'x.mp4')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no[/\\]such[/\\]dir[/\\]x\.mp4/);
});

test('a replay waits for a sink that falls behind: every frame arrives, and no more than a window of them waits', async (t) => {
  const dir = await tempDir(t, 'annotate-');
  const clip = await makeTestClip(join(dir, 'clip.mp4'), { frames: 120, width: 64, height: 48, fps: 25 });
  const config = await loadConfig({ file: undefined, overrides: { logLevel: 'silent', model: { bundle: FIXTURE_BUNDLE, editor: 'none', intraOpThreads: 1 }, sources: [{ id: 'replay', url: clip }] } });
  // A sink that writes one frame per 10 ms and says it is full at 4 waiting (as the video encoder does at 8).
  let waiting = 0;
  let mostWaiting = 0;
  let written = 0;
  let wake: (() => void) | undefined;
  const drain = setInterval(() => {
    if (waiting === 0) return;
    waiting--;
    written++;
    if (waiting < 4) wake?.();
  }, 10);
  t.after(() => clearInterval(drain));
  const slow: FrameSink = {
    name: 'slow',
    frame: () => {
      waiting++;
      mostWaiting = Math.max(mostWaiting, waiting);
    },
    backpressure: () => (waiting < 4 ? undefined : new Promise<void>((resolve) => (wake = resolve))),
  };
  const replaying = await startReplay(config, { log: silentLogger, extraSinks: [slow] });
  const { summary } = await replaying.done;
  assert.equal(summary.frames, 120);
  await waitFor(() => written === 120, { what: 'the slow sink to write every frame' });
  // The replay's window (four batches of these small frames) bounds what can be in flight while the sink is full.
  const window = replayWindow(config.batching.maxBatch, 64 * 48 * 3);
  assert.ok(mostWaiting <= 4 + window, `at most a window of ${window} waits (${mostWaiting})`);
  assert.ok(mostWaiting >= 4, 'the sink was full at times (else this proves nothing)');
});
