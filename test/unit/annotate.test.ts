/**
 * The parts of the annotated outputs: the bitmap font and drawing, the enlarging resize, the
 * annotated frame's layout, the encode queue's bounds and waits, the release gate of a replay, and
 * the loopback test of the stream API's config rule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Subject } from 'rxjs';
import { isLoopbackHost } from '../../src/config/hosts.js';
import { gateReleases, sinksBusy } from '../../src/flow/release-gate.js';
import type { FlowSource } from '../../src/flow/frame-flow.js';
import { GLYPH_HEIGHT, glyphOf } from '../../src/image/bitmap-font.js';
import { ADVANCE, drawText, shadeRect, textWidth } from '../../src/image/draw-text.js';
import { resizeRgbInto } from '../../src/image/resize-rgb.js';
import { annotatedSize, annotateFrame, annotationLines, textScale } from '../../src/sinks/annotate-frame.js';
import { FrameEncodeQueue } from '../../src/sinks/frame-encode-queue.js';
import type { RawVideoSink } from '../../src/sinks/video-encoder.js';

const image = (width: number, height: number, fill = 0) => ({ width, height, data: new Uint8Array(width * height * 3).fill(fill) });
const pred = (label: string, confidence: number) => ({ label, index: 0, confidence, topk: [] });

/** The on/off pattern of a drawn image's red channel, one string per row ('#' on). */
function pattern(img: { width: number; height: number; data: Uint8Array }, rows = img.height, cols = img.width): string[] {
  return Array.from({ length: rows }, (_, y) => Array.from({ length: cols }, (_, x) => (img.data[(y * img.width + x) * 3] === 255 ? '#' : '.')).join(''));
}

test('the font draws "A" as its 5x9 glyph, scaled, clipped and in colour; unknown characters are "?"', () => {
  const img = image(6, 9);
  drawText(img, 'A', 0, 0, { scale: 1, color: [255, 0, 0] });
  assert.deepEqual(pattern(img), ['.###..', '#...#.', '#...#.', '#####.', '#...#.', '#...#.', '#...#.', '......', '......']);
  assert.deepEqual([...img.data.subarray(3, 6)], [255, 0, 0]);

  const big = image(10, 4);
  drawText(big, 'A', 0, 0, { scale: 2, color: [255, 255, 255] });
  assert.deepEqual(pattern(big), ['..######..', '..######..', '##......##', '##......##']);

  const clipped = image(3, 3);
  assert.doesNotThrow(() => drawText(clipped, 'WWW', -2, -2, { scale: 1, color: [255, 255, 255] }));
  assert.deepEqual(glyphOf('é'), glyphOf('?'));
  for (const char of 'gjpqy') assert.notEqual(glyphOf(char)[GLYPH_HEIGHT - 1], 0, `${char} has a descender`);
  assert.equal(textWidth('ab', 2), (2 * ADVANCE - 1) * 2);
});

test('shadeRect darkens inside the rectangle only', () => {
  const img = image(4, 2, 200);
  shadeRect(img, { x: 1, y: 0, width: 2, height: 1 }, 0.5);
  assert.deepEqual([img.data[0], img.data[3], img.data[6], img.data[9], img.data[12]], [200, 100, 100, 200, 200]);
});

test('resizeRgbInto fills the region (a flat colour stays flat, a gradient keeps its order) and refuses one that does not fit', () => {
  const src = image(2, 1);
  src.data.set([0, 0, 0, 200, 200, 200]);
  const dst = image(10, 3, 7);
  resizeRgbInto(src, dst, { x: 2, y: 1, width: 8, height: 2 });
  const row = Array.from({ length: 8 }, (_, x) => dst.data[((1 * 10) + 2 + x) * 3]!);
  assert.deepEqual(row, [...row].sort((a, b) => a - b), 'left to right, dark to bright');
  assert.deepEqual([row[0], row[7]], [0, 200]);
  assert.equal(dst.data[0], 7, 'outside the region is untouched');
  const flat = image(3, 3, 90);
  const out = image(64, 48);
  resizeRgbInto(flat, out, { x: 0, y: 0, width: 64, height: 48 });
  assert.ok(out.data.every((v) => v === 90));
  assert.throws(() => resizeRgbInto(flat, out, { x: 60, y: 0, width: 8, height: 8 }), /does not fit/);
});

test('annotateFrame: overlay keeps the size, side-by-side doubles the width; the input frame is untouched; the text scales with the frame', () => {
  const frame = image(320, 240, 128);
  const inference = { ensemble: pred('cat', 0.874), source: pred('dog', 0.41), editedImage: image(32, 32, 20) };
  assert.deepEqual(annotationLines(inference), ['adapted: cat 87%', 'source-only: dog 41%']);
  const overlay = annotateFrame(frame, inference, 'overlay');
  assert.deepEqual([overlay.width, overlay.height], [320, 240]);
  assert.ok(frame.data.every((v) => v === 128), 'the frame itself is not drawn on');
  assert.equal(overlay.data[(200 * 320 + 10) * 3], 128, 'below the band, the original');
  assert.ok(overlay.data[(1 * 320 + 300) * 3]! < 128, 'the band is darkened');

  const sbs = annotateFrame(frame, inference, 'side-by-side');
  assert.deepEqual(annotatedSize(frame, 'side-by-side'), { width: 640, height: 240 });
  assert.equal(sbs.data[(120 * 640 + 480) * 3], 20, 'the right half is the edited frame');
  assert.equal(sbs.data[(120 * 640 + 160) * 3], 128, 'the left half the original');
  assert.throws(() => annotateFrame(frame, inference, 'overlay', new Uint8Array(10)), /expected/);

  assert.equal(textScale(320, 240, 20), 1);
  assert.equal(textScale(1280, 720, 28), 4);
  assert.equal(textScale(160, 120, 40), 1, 'never below 1, even when a line is too long');
});

/** An encoder stand-in whose writes finish when the test says so. */
function fakeEncoder() {
  const pending: Array<() => void> = [];
  let frames = 0;
  const encoder = {
    get frames() {
      return frames;
    },
    write: () => {
      frames++;
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    close: async () => ({ output: 'x', frames }),
    abort: async () => {},
  };
  return { encoder: encoder as unknown as RawVideoSink, finishOne: () => pending.shift()?.(), get waiting() { return pending.length; } };
}

test('FrameEncodeQueue: pushes never wait, beyond capacity they drop (counted); whenBelow resolves as the encoder catches up; close writes the rest', async () => {
  const fake = fakeEncoder();
  let opened = 0;
  const queue = new FrameEncodeQueue<number>({ capacity: 3, render: () => image(2, 2), open: async () => (opened++, fake.encoder) });
  assert.equal(queue.whenBelow(2), undefined);
  for (let i = 0; i < 5; i++) queue.push(i);
  // One is being written, three wait: the fifth did not fit.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual([queue.backlog, queue.dropped, opened], [4, 1, 1]);
  const below = queue.whenBelow(3);
  assert.ok(below instanceof Promise);
  let resolved = false;
  void below.then(() => (resolved = true));
  fake.finishOne();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(resolved, false, 'still three');
  fake.finishOne();
  await below;
  const closing = queue.close();
  assert.equal(queue.push(9), false, 'closed: refused');
  while (fake.waiting > 0 || queue.backlog > 0) {
    fake.finishOne();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.deepEqual(await closing, { output: 'x', frames: 4 });
});

test('FrameEncodeQueue: a failed encode drops what waits, wakes waiters and makes close reject', async () => {
  const queue = new FrameEncodeQueue<number>({ capacity: 10, render: () => image(2, 2), open: async () => { throw new Error('no ffmpeg'); } });
  queue.push(1);
  queue.push(2);
  await assert.rejects(queue.close(), /no ffmpeg/);
  assert.equal(queue.whenBelow(1), undefined);
  assert.equal(queue.push(3), false);
  assert.equal(queue.dropped, 2);
});

test('gateReleases holds releases while a sink is busy and passes them all on when it is not; sinksBusy asks every sink', async () => {
  const released: number[] = [];
  const source: FlowSource = { id: 's', mode: 'replay', frames$: new Subject(), states$: new Subject(), start() {}, release: (n = 1) => void released.push(n), stop: async () => {} };
  let busy: { promise: Promise<void>; resolve: () => void } | undefined;
  const gated = gateReleases(source, () => busy?.promise);
  gated.release(1);
  assert.deepEqual(released, [1]);
  let resolve!: () => void;
  busy = { promise: new Promise<void>((r) => (resolve = r)), resolve: () => resolve() };
  gated.release(1);
  gated.release(2);
  assert.deepEqual(released, [1], 'held while busy');
  const free = busy;
  busy = undefined;
  free.resolve();
  await free.promise;
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(released, [1, 3], 'passed on together');

  assert.equal(sinksBusy([{ name: 'a' }, { name: 'b', backpressure: () => undefined }]), undefined);
  assert.ok(sinksBusy([{ name: 'a', backpressure: () => Promise.resolve() }]) instanceof Promise);
});

test('isLoopbackHost: 127/8, ::1 and localhost only', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(host), host);
  for (const host of ['0.0.0.0', '::', '192.168.1.2', 'localhost.evil.example', '127.0.0.1.nip.io', '']) assert.ok(!isLoopbackHost(host), host);
});
