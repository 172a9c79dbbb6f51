import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrameMessage, encodeFrameMessage, type FrameHeader, parseClientMessage } from '../../src/server/protocol.js';

const text = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('parseClientMessage', () => {
  it('accepts each message type', () => {
    for (const message of [
      { type: 'subscribe', streams: '*' },
      { type: 'subscribe', streams: ['a', 'b'] },
      { type: 'pause', paused: true },
      { type: 'ping' },
      { type: 'ping', id: 7 },
      { type: 'set-corruption', streamId: 'a', corruption: 'fog:4' },
      { type: 'set-corruption', streamId: 'a', corruption: null },
    ]) {
      const parsed = parseClientMessage(text(message), false);
      assert.equal(parsed.ok, true, JSON.stringify(message));
    }
  });

  it('ignores unknown extra fields', () => {
    assert.equal(parseClientMessage(text({ type: 'ping', extra: 1 }), false).ok, true);
  });

  const codeOf = (data: Buffer, isBinary = false) => {
    const parsed = parseClientMessage(data, isBinary);
    assert.equal(parsed.ok, false);
    return parsed.ok ? undefined : parsed.code;
  };

  it('classifies what is wrong with a bad message', () => {
    assert.equal(codeOf(text('{nope')), 'BAD_JSON');
    assert.equal(codeOf(text('42')), 'BAD_MESSAGE');
    assert.equal(codeOf(text([{ type: 'ping' }])), 'BAD_MESSAGE');
    assert.equal(codeOf(text({ kind: 'ping' })), 'BAD_MESSAGE');
    assert.equal(codeOf(text({ type: 'launch' })), 'UNKNOWN_TYPE');
    assert.equal(codeOf(text({ type: 'pause', paused: 'yes' })), 'BAD_MESSAGE');
    assert.equal(codeOf(text({ type: 'subscribe', streams: 'all' })), 'BAD_MESSAGE');
    assert.equal(codeOf(text({ type: 'set-corruption', streamId: 'a' })), 'BAD_MESSAGE');
    assert.equal(codeOf(text({ type: 'ping' }), true), 'UNEXPECTED_BINARY');
  });
});

describe('frame message encoding', () => {
  it('round-trips header and both images', () => {
    const prediction = { label: 'cat', index: 3, confidence: 0.9, topk: [{ label: 'cat', index: 3, probability: 0.9 }] };
    const header = {
      type: 'frame',
      streamId: 's',
      seq: 4,
      ptsMs: 133,
      capturedAt: 1,
      sentAt: 2,
      latencyMs: 1,
      discontinuity: false,
      source: prediction,
      edited: prediction,
      ensemble: prediction,
      smoothed: null,
      changed: false,
      timings: { queueMs: 0, preprocessMs: 0, classifyMs: 0, gateMs: 0, encodeMs: 0, unetMs: 0, decodeMs: 0, ensembleMs: 0, totalMs: 0, batchSize: 1 },
    } satisfies Omit<FrameHeader, 'images'>;
    const source = { data: Uint8Array.from([0xff, 0xd8, 1, 2, 3]), width: 4, height: 3 };
    const edited = { data: Uint8Array.from([0xff, 0xd8, 9]), width: 2, height: 2 };
    const decoded = decodeFrameMessage(encodeFrameMessage(header, source, edited));
    assert.equal(decoded.header.seq, 4);
    assert.deepEqual([...decoded.source], [...source.data]);
    assert.deepEqual([...decoded.edited!], [...edited.data]);
    assert.deepEqual(decoded.header.images.edited, { offset: 5, length: 3, width: 2, height: 2, mime: 'image/jpeg' });

    const withoutEdit = decodeFrameMessage(encodeFrameMessage({ ...header, edited: null }, source, null));
    assert.equal(withoutEdit.edited, null);
    assert.equal(withoutEdit.header.images.edited, null);
  });

  it('refuses truncated messages', () => {
    assert.throws(() => decodeFrameMessage(Uint8Array.from([0, 0, 0, 50, 1])), RangeError);
  });
});
