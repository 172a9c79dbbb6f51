import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RESTART_POLICY, restartDelayMs } from '../../src/stream/backoff.js';

describe('restartDelayMs', () => {
  const policy = { initialDelayMs: 500, maxDelayMs: 10_000 };

  it('doubles the ceiling each attempt, up to maxDelayMs', () => {
    const ceiling = (attempt: number) => restartDelayMs(attempt, policy, () => 1);
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50, 5000].map(ceiling), [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
  });

  it('draws uniformly below the ceiling (full jitter)', () => {
    assert.equal(restartDelayMs(3, policy, () => 0), 0);
    assert.equal(restartDelayMs(3, policy, () => 0.25), 500);
    for (let i = 0; i < 200; i++) {
      const delay = restartDelayMs(4, policy);
      assert.ok(delay >= 0 && delay <= 4000, String(delay));
    }
  });

  it('has the documented defaults', () => {
    assert.deepEqual({ ...DEFAULT_RESTART_POLICY }, { maxAttempts: 10, initialDelayMs: 500, maxDelayMs: 10_000, stableAfterMs: 10_000 });
  });
});
