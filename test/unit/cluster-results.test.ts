/**
 * Where the cluster's results meet their outputs: ResultOrder (live forward only, replayed put
 * back in seq order, a gap waited for a while, then skipped and counted), BoardStates (the KV
 * board's records as the sinks' state events, each once), SettledEnds (an end told once the
 * stream's results stop) and ResultOutputs (smoothing once the labels are known, sinks in order
 * per stream while pictures are decoded).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { BoardStates, encodeResult, decodeResult, ResultOrder, ResultOutputs, SettledEnds, type DecodedResult } from '../../src/cluster/index.js';
import { silentLogger } from '../../src/log/index.js';
import type { FrameInference } from '../../src/model/index.js';
import type { StreamStateEvent } from '../../src/server/index.js';
import type { FrameSink } from '../../src/sinks/index.js';
import type { Frame } from '../../src/stream/index.js';
import { waitFor } from '../helpers/wait.js';

const LABELS = ['cat', 'dog'];
const tinyJpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 10, b: 10 } } }).jpeg().toBuffer();

/** A decoded result of `streamId` #seq, replayed when `job` is given, whose ensemble says `label`. */
function result(streamId: string, seq: number, { job, label = 'cat', edited = false }: { job?: string; label?: string; edited?: boolean } = {}): DecodedResult {
  const index = LABELS.indexOf(label);
  const prediction = { label, index, confidence: 0.9, topk: [{ label, index, probability: 0.9 }] };
  const frame: Frame = { streamId, seq, ptsMs: seq * 100, capturedAt: performance.now(), width: 8, height: 8, data: new Uint8Array(8 * 8 * 3), discontinuity: seq === 0 };
  const inference: FrameInference = {
    source: prediction,
    edited: edited ? prediction : null,
    ensemble: prediction,
    distribution: Float32Array.from(LABELS, (_, i) => (i === index ? 0.9 : 0.1)),
    gate: null,
    editedImage: null,
    timings: { queueMs: 0, preprocessMs: 0, classifyMs: 0, gateMs: 0, encodeMs: 0, unetMs: 0, decodeMs: 0, ensembleMs: 0, totalMs: 0, batchSize: 1 },
  };
  const origin = job === undefined ? { ingest: 'i1' } : { ingest: 'i1', job };
  return decodeResult(encodeResult(frame, origin, 'w', inference, { source: tinyJpeg, edited: edited ? { data: tinyJpeg, width: 8, height: 8 } : null }));
}

function ordered(gapWaitMs = 30, maxWaiting = 4) {
  const delivered: string[] = [];
  const dropped: Array<[string, number]> = [];
  const order = new ResultOrder({ deliver: (r) => void delivered.push(`${r.frame.streamId}#${r.frame.seq}`), dropped: (s, n) => void dropped.push([s, n]), gapWaitMs, maxWaiting });
  return { order, delivered, dropped };
}

test('ResultOrder: replayed results are handed on in seq order; repeats and late ones are not news', () => {
  const { order, delivered, dropped } = ordered();
  for (const seq of [1, 0, 3, 2, 2, 0]) order.push(result('file', seq, { job: 'j' }));
  order.push(result('other', 0, { job: 'j' }));
  assert.deepEqual(delivered, ['file#0', 'file#1', 'file#2', 'file#3', 'other#0']);
  assert.deepEqual(dropped, []);
  order.close();
});

test('ResultOrder: a missing replayed result is waited for gapWaitMs, then skipped and counted; one arriving later is not shown', async () => {
  const { order, delivered, dropped } = ordered(30, 10);
  for (const seq of [0, 2, 3]) order.push(result('file', seq, { job: 'j' }));
  assert.deepEqual(delivered, ['file#0'], '1 is missing: 2 and 3 wait');
  await waitFor(() => delivered.length === 3, { what: 'the gap skipped' });
  assert.deepEqual(delivered, ['file#0', 'file#2', 'file#3']);
  assert.deepEqual(dropped, [['file', 1]]);
  order.push(result('file', 1, { job: 'j' }));
  assert.equal(delivered.length, 3, 'too late');
  order.close();
});

test('ResultOrder: more than maxWaiting behind a gap skips it at once; live results only move forward', () => {
  const { order, delivered, dropped } = ordered(60_000, 2);
  for (const seq of [0, 5, 6, 7]) order.push(result('file', seq, { job: 'j' }));
  assert.deepEqual(delivered, ['file#0', 'file#5', 'file#6', 'file#7']);
  assert.deepEqual(dropped, [['file', 4]]);
  for (const seq of [10, 12, 11, 13]) order.push(result('cam', seq));
  assert.deepEqual(delivered.slice(4), ['cam#10', 'cam#12', 'cam#13'], 'an overtaken live result is not shown');
  assert.deepEqual(dropped.slice(1), [['cam', 1]]);
  order.close();
});

test('ResultOrder: a gateway that joins mid-replay counts nothing before the first result it hands on', async () => {
  const { order, delivered, dropped } = ordered(20, 10);
  order.push(result('file', 500, { job: 'j' }));
  await waitFor(() => delivered.length === 1, { what: 'the first result seen, after the wait for 0..499' });
  assert.deepEqual(dropped, []);
  order.close();
});

test('BoardStates: records become the state events sinks hear, each once; a restart inside an outage is no first start', () => {
  const board = new BoardStates();
  const record = (state: 'starting' | 'running' | 'reconnecting' | 'ended' | 'error', at: number, extra = {}) => ({ id: 'cam', ingest: 'i1', state, at, ...extra });
  assert.deepEqual(board.event(record('starting', 1)), { state: 'starting', sourceId: 'cam', attempt: 0, at: 1 });
  assert.equal(board.event(record('starting', 1)), undefined, 'the watch replaying the board');
  assert.equal(board.event(record('running', 2))?.state, 'running');
  assert.deepEqual(board.event(record('reconnecting', 3, { attempt: 1, message: 'gone' })), { state: 'reconnecting', sourceId: 'cam', attempt: 1, delayMs: 0, reason: 'gone', stderrTail: [], at: 3 });
  assert.equal((board.event(record('starting', 4)) as { attempt: number }).attempt, 1);
  assert.deepEqual(board.event(record('error', 5, { code: 'SOURCE_FAILED', message: 'gave up' })), { state: 'error', sourceId: 'cam', error: { code: 'SOURCE_FAILED', message: 'gave up' }, at: 5 });
  assert.equal(board.removed('cam')?.state, 'ended', 'off the board: ended');
  assert.equal(board.removed('cam'), undefined);
  board.event(record('ended', 6));
  assert.equal(board.removed('cam'), undefined, 'its end was told already');
});

test('SettledEnds: an end waits until the stream\'s results stop; another state tells a waiting end first', async () => {
  const told: string[] = [];
  const ends = new SettledEnds(40, (event) => void told.push(`${event.sourceId}:${event.state}`));
  const ended: StreamStateEvent = { state: 'ended', sourceId: 'file', reason: 'end-of-input', at: 0 };
  ends.state({ state: 'running', sourceId: 'file', attempt: 0, pid: undefined, at: 0 });
  ends.state(ended);
  assert.deepEqual(told, ['file:running']);
  const started = performance.now();
  const kick = setInterval(() => ends.result('file'), 10);
  await waitFor(() => performance.now() - started > 100, { what: '100 ms of results' });
  clearInterval(kick);
  assert.deepEqual(told, ['file:running'], 'results keep coming: the end waits');
  await waitFor(() => told.length === 2, { what: 'the end, once quiet' });
  ends.state(ended);
  ends.state({ state: 'starting', sourceId: 'file', attempt: 0, at: 1 });
  assert.deepEqual(told, ['file:running', 'file:ended', 'file:ended', 'file:starting']);
  ends.close();
});

test('ResultOutputs: smoothing once the labels are known; sinks get each stream in order, pictures decoded for snapshots', async () => {
  const heard: string[] = [];
  const sink: FrameSink = {
    name: 'probe',
    frame: (frame, inference) => void heard.push(`${frame.streamId}#${frame.seq}:${inference.smoothed ? 's' : 'r'}:${inference.editedImage ? `${inference.editedImage.width}px` : '-'}`),
    state: (event) => void heard.push(`${event.sourceId}:${event.state}`),
  };
  const smoothing = { mode: 'ema', halfLifeMs: 1000, window: 1, margin: 0.15, sceneCut: 0 } as const;
  const plain = new ResultOutputs({ sinks: [sink], smoothing, log: silentLogger });
  assert.equal(plain.result(result('cam', 0)).inference.smoothed, undefined, 'no labels yet: raw');
  plain.setLabels(LABELS);
  assert.equal(plain.result(result('cam', 1)).inference.smoothed?.label, 'cat');
  assert.deepEqual(heard, ['cam#0:r:-', 'cam#1:s:-'], 'no pictures wanted: handed on at once');

  heard.length = 0;
  const pictured = new ResultOutputs({ sinks: [sink], smoothing, pictures: { snapshots: true, recorded: () => false }, log: silentLogger });
  pictured.setLabels(LABELS);
  pictured.result(result('cam', 0, { edited: true }));
  pictured.result(result('cam', 1, { edited: true }));
  pictured.state({ state: 'ended', sourceId: 'cam', reason: 'stopped', at: 0 });
  assert.deepEqual(heard, [], 'waiting for the decodes');
  await pictured.flush();
  assert.deepEqual(heard, ['cam#0:s:8px', 'cam#1:s:8px', 'cam:ended'], 'in order, the state behind the frames');
});
