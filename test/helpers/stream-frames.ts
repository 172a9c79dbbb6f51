import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import type { Frame } from '../../src/stream/frame.js';

/** A tiny (1x1) frame for operator tests; only streamId and seq matter there. */
export function testFrame(streamId: string, seq: number): Frame {
  return {
    streamId,
    seq,
    ptsMs: seq * 40,
    capturedAt: seq * 40,
    width: 1,
    height: 1,
    data: new Uint8Array(3),
    discontinuity: seq === 0,
  };
}

/**
 * Marble values for one stream: digits 1..9 map to frames of `streamId` with that seq, so
 * `hot('-1-2|', framesOf('a'))` emits a1 then a2.
 */
export function framesOf(streamId: string, count = 9): Record<string, Frame> {
  const values: Record<string, Frame> = {};
  for (let seq = 1; seq <= count; seq++) values[String(seq)] = testFrame(streamId, seq);
  return values;
}

/** A TestScheduler that asserts with node:assert. */
export function marbleScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => assert.deepStrictEqual(actual, expected));
}
