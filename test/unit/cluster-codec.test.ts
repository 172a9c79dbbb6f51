/** The broker's wire format (frames and results) and the gateway's live drop count. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerMessageError, decodeFrame, decodeResult, encodeFrame, encodeResult, LiveSequence } from '../../src/cluster/index.js';
import type { FrameInference, Prediction } from '../../src/model/index.js';
import type { Frame } from '../../src/stream/index.js';

const frame: Frame = {
  streamId: 'cam.1',
  seq: 42,
  ptsMs: 1400,
  capturedAt: performance.now() - 5,
  width: 4,
  height: 2,
  data: new Uint8Array(4 * 2 * 3).fill(7),
  discontinuity: true,
  meta: { truth: 'cat', corruption: 'fog:3' },
};
const jpeg = Uint8Array.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
const prediction = (label: string, index: number): Prediction => ({ label, index, confidence: 0.75, topk: [{ label, index, probability: 0.75 }] });
const inference: FrameInference = {
  source: prediction('dog', 5),
  edited: prediction('cat', 3),
  ensemble: prediction('cat', 3),
  distribution: Float32Array.from([0.25, 0.75]),
  gate: { score: 0.9, active: true },
  editedImage: { width: 2, height: 2, data: new Uint8Array(12) },
  timings: { queueMs: 1, preprocessMs: 2, classifyMs: 3, gateMs: 0, encodeMs: 4, unetMs: 5, decodeMs: 6, ensembleMs: 7, totalMs: 28, batchSize: 2 },
};

test('a frame crosses the broker with its header, its JPEG and its origin; pixels do not travel', () => {
  const decoded = decodeFrame(encodeFrame(frame, jpeg, { ingest: 'ingest-a', job: 'j1' }));
  const { data, capturedAt, ...rest } = decoded.frame;
  const { data: _pixels, capturedAt: sentCapturedAt, ...sent } = frame;
  assert.deepEqual(rest, sent);
  assert.ok(Math.abs(capturedAt - sentCapturedAt) < 0.01, 'capturedAt comes back in this process time (via epoch ms)');
  assert.equal(data.byteLength, 0);
  assert.deepEqual([...decoded.jpeg], [...jpeg]);
  assert.deepEqual(decoded.origin, { ingest: 'ingest-a', job: 'j1' });
  assert.deepEqual(decodeFrame(encodeFrame(frame, jpeg, { ingest: 'ingest-a' })).origin, { ingest: 'ingest-a' }, 'a live frame has no job');
});

test('a result carries the predictions, timings, distribution, both JPEGs and the worker', () => {
  const editedJpeg = { data: Uint8Array.from([9, 9, 9]), width: 2, height: 2 };
  const decoded = decodeResult(encodeResult(frame, { ingest: 'ingest-a' }, 'worker-1', inference, { source: jpeg, edited: editedJpeg }));
  assert.equal(decoded.frame.seq, 42);
  assert.equal(decoded.frame.meta?.truth, 'cat');
  assert.deepEqual(decoded.inference.ensemble, inference.ensemble);
  assert.deepEqual(decoded.inference.edited, inference.edited);
  assert.deepEqual(decoded.inference.timings, inference.timings);
  assert.deepEqual([...decoded.inference.distribution], [0.25, 0.75]);
  assert.equal(decoded.inference.editedImage, null, 'the edit travels as a JPEG');
  assert.deepEqual([...decoded.images.source.data], [...jpeg]);
  assert.deepEqual({ ...decoded.images.source, data: undefined }, { data: undefined, width: 4, height: 2 });
  assert.deepEqual([...decoded.images.edited!.data], [9, 9, 9]);
  assert.deepEqual(decoded.origin, { ingest: 'ingest-a', worker: 'worker-1' });

  const noEdit = decodeResult(encodeResult(frame, { ingest: 'i' }, 'w', { ...inference, edited: null, editedImage: null }, { source: jpeg, edited: null }));
  assert.equal(noEdit.images.edited, null);
  assert.equal(noEdit.inference.edited, null);
  assert.equal(noEdit.thumbnail, undefined, 'no thumbnail unless the worker sent one');
});

test("a result carries the frame's grey thumbnail to within 1/255, for the gateway's scene cuts", () => {
  const thumbnail = Float32Array.from({ length: 256 }, (_, i) => i / 255 + 0.001);
  const decoded = decodeResult(encodeResult(frame, { ingest: 'i' }, 'w', inference, { source: jpeg, edited: null }, thumbnail));
  assert.equal(decoded.thumbnail?.length, 256);
  assert.ok(decoded.thumbnail!.every((v, i) => Math.abs(v - thumbnail[i]!) <= 1 / 510 + 1e-6));
});

test('a bad message gets BROKER_MESSAGE_INVALID naming what is wrong', () => {
  const fails = (message: Uint8Array, pattern: RegExp) =>
    assert.throws(() => decodeFrame(message), (error: unknown) => error instanceof BrokerMessageError && error.code === 'BROKER_MESSAGE_INVALID' && pattern.test(error.message));
  fails(Uint8Array.from([0, 0]), /shorter than its length prefix/);
  fails(Uint8Array.from([0, 0, 0, 50, 1]), /runs past the message/);
  const header = (value: unknown) => {
    const json = Buffer.from(JSON.stringify(value));
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(json.byteLength);
    return Buffer.concat([prefix, json]);
  };
  fails(header('not an object'), /header/);
  const good = JSON.parse(Buffer.from(encodeFrame(frame, jpeg, { ingest: 'i' })).subarray(4, -jpeg.byteLength).toString()) as Record<string, unknown>;
  fails(header({ ...good, seq: 'x' }), /^frame message: seq: /);
  fails(header({ ...good, v: 99 }), /^frame message: v: /);
  fails(header(good), /image of 7 bytes at 0 runs past the message body/);
  assert.throws(() => decodeResult(encodeFrame(frame, jpeg, { ingest: 'i' })), /result message: worker: /);
});

test('LiveSequence: gaps in seq are drops, an overtaken result is not shown, a new ingest starts afresh', () => {
  const live = new LiveSequence();
  assert.deepEqual(live.observe('a', 'i1', 10), { show: true, dropped: 0 }, 'first sight: nothing before it counts');
  assert.deepEqual(live.observe('a', 'i1', 11), { show: true, dropped: 0 });
  assert.deepEqual(live.observe('a', 'i1', 15), { show: true, dropped: 3 });
  assert.deepEqual(live.observe('a', 'i1', 13), { show: false, dropped: 0 }, 'overtaken by 15: already counted in its gap');
  assert.deepEqual(live.observe('a', 'i1', 15), { show: false, dropped: 0 }, 'a repeat');
  assert.deepEqual(live.observe('b', 'i1', 3), { show: true, dropped: 0 }, 'streams are counted apart');
  assert.deepEqual(live.observe('a', 'i2', 0), { show: true, dropped: 0 }, 'a restarted ingest numbers from 0 again');
  assert.deepEqual(live.observe('a', 'i2', 2), { show: true, dropped: 1 });
});
