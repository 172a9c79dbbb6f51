import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replayWindow } from '../../src/runtime/index.js';

test('replay decodes four batches ahead, at least 32 frames, when the frames are small', () => {
  assert.equal(replayWindow(16, 32 * 32 * 3), 64);
  assert.equal(replayWindow(4, 32 * 32 * 3), 32);
});

test('large decode sizes bound the replay window by memory, never below one batch', () => {
  // 1920x1080 RGB is ~6.2 MB: 64 MiB hold 10 of them.
  assert.equal(replayWindow(16, 1920 * 1080 * 3), 16);
  assert.equal(replayWindow(8, 1920 * 1080 * 3), 10);
});
