import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { firstValueFrom, lastValueFrom, skipWhile, take, timeout, toArray } from 'rxjs';
import { SourceFailedError } from '../../src/stream/errors.js';
import type { Frame } from '../../src/stream/frame.js';
import { FrameSource, type FrameSourceOptions, type SourceStateEvent } from '../../src/stream/source.js';
import { ffmpegChildren, isAlive, nextState } from '../helpers/stream-ffmpeg.js';
import { sleep, waitFor } from '../helpers/wait.js';

// Tiny frames at a low rate: these tests share two CPU cores with other work.
const LIVE: FrameSourceOptions = {
  id: 'cam1',
  url: 'lavfi:testsrc2=size=160x120:rate=25',
  mode: 'live',
  width: 64,
  height: 48,
  fit: 'pad',
  restart: { initialDelayMs: 20, maxDelayMs: 50 },
};

const started: FrameSource[] = [];
async function startSource(options: FrameSourceOptions) {
  const source = await FrameSource.create(options);
  started.push(source);
  const states: SourceStateEvent[] = [];
  source.states$.subscribe((event) => states.push(event));
  return { source, states };
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((source) => source.stop()));
});

describe('FrameSource, live (real ffmpeg, lavfi)', { timeout: 30_000 }, () => {
  it('delivers frames of the display size within seconds, the first marked as a discontinuity', async () => {
    const { source, states } = await startSource(LIVE);
    const firstFive = firstValueFrom(source.frames$.pipe(take(5), toArray(), timeout(5000)));
    source.start();
    const frames = await firstFive;

    for (const frame of frames) {
      assert.equal(frame.streamId, 'cam1');
      assert.equal(frame.width, 64);
      assert.equal(frame.height, 48);
      assert.equal(frame.data.length, 64 * 48 * 3);
    }
    assert.deepEqual(frames.map((frame) => frame.seq), [0, 1, 2, 3, 4]);
    assert.deepEqual(frames.map((frame) => frame.ptsMs), [0, 40, 80, 120, 160]);
    assert.deepEqual(frames.map((frame) => frame.discontinuity), [true, false, false, false, false]);
    assert.deepEqual(states.map((event) => event.state), ['starting', 'running']);
    assert.equal(typeof source.pid, 'number');
  });

  it('restarts after its ffmpeg is SIGKILLed, and marks the first frame after the restart', async () => {
    const { source } = await startSource(LIVE);
    const frames: Frame[] = [];
    source.frames$.subscribe({ next: (frame) => frames.push(frame), error: () => {} });
    source.start();
    await nextState(source.states$, 'running');
    await waitFor(() => frames.length >= 3, { what: 'three frames', timeoutMs: 5000 });
    const killedPid = source.pid!;
    const before = frames.length;

    process.kill(killedPid, 'SIGKILL');
    const reconnecting = await nextState(source.states$, 'reconnecting');
    assert.equal(reconnecting.attempt, 1);
    assert.match(reconnecting.reason, /SIGKILL/);
    assert.ok(reconnecting.delayMs >= 0 && reconnecting.delayMs <= 20);

    const firstAfter = await firstValueFrom(
      source.frames$.pipe(skipWhile((frame) => !frame.discontinuity), timeout(5000)),
    );
    assert.equal(firstAfter.discontinuity, true);
    assert.ok(firstAfter.seq >= before, 'sequence numbers continue across the restart');
    assert.equal(firstAfter.ptsMs, 0, 'ptsMs counts from the start of the new run');
    assert.notEqual(source.pid, killedPid);
    assert.equal(isAlive(killedPid), false);
    assert.deepEqual(
      frames.filter((frame) => frame.discontinuity).map((frame) => frame.seq),
      [0, firstAfter.seq],
      'only the very first frame and the first after the restart are discontinuities',
    );
    assert.equal(source.stats().restarts, 1);
  });

  it('kills and restarts an ffmpeg that stalls (no frame for stallTimeoutMs)', async () => {
    // Long enough for a restarted ffmpeg to deliver its first frame on a loaded machine.
    const { source } = await startSource({ ...LIVE, stallTimeoutMs: 2000 });
    source.frames$.subscribe({ error: () => {} });
    source.start();
    const { pid } = await nextState(source.states$, 'running');
    process.kill(pid!, 'SIGSTOP'); // frozen, like a hung RTSP connection: alive, silent
    const reconnecting = await nextState(source.states$, 'reconnecting', 15_000);
    assert.match(reconnecting.reason, /no frame for 2000 ms \(stalled\)/);
    await waitFor(() => !isAlive(pid!), { what: 'the stalled ffmpeg to be killed', timeoutMs: 5000 });
    const again = await nextState(source.states$, 'running', 15_000);
    assert.notEqual(again.pid, pid);
  });

  it('gives up after restart.maxAttempts with SOURCE_FAILED, naming the source and quoting ffmpeg', async () => {
    const { source, states } = await startSource({
      ...LIVE,
      id: 'broken-cam',
      url: 'lavfi:nosuchfilter=rate=5',
      restart: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
    });
    const outcome = lastValueFrom(source.frames$).then(
      () => assert.fail('frames$ should error'),
      (error: unknown) => error,
    );
    source.start();
    const error = await outcome;

    assert.ok(error instanceof SourceFailedError);
    assert.equal(error.code, 'SOURCE_FAILED');
    assert.equal(error.sourceId, 'broken-cam');
    assert.match(error.message, /broken-cam/);
    assert.match(error.message, /No such filter/);
    assert.ok(error.stderrTail.some((line) => line.includes('nosuchfilter')));
    assert.deepEqual(
      states.map((event) => `${event.state}${'attempt' in event ? event.attempt : ''}`),
      ['starting0', 'reconnecting1', 'starting1', 'reconnecting2', 'starting2', 'error'],
    );
    assert.equal(source.stats().state, 'error');
  });

  it('stop() ends ffmpeg, completes frames$ and leaves no child behind', async () => {
    const { source, states } = await startSource(LIVE);
    const completed = lastValueFrom(source.frames$, { defaultValue: undefined });
    source.start();
    const { pid } = await nextState(source.states$, 'running');
    assert.ok(pid !== undefined && isAlive(pid));

    await source.stop();
    await completed;
    assert.equal(isAlive(pid), false);
    assert.deepEqual(ffmpegChildren(), []);
    assert.deepEqual(states.at(-1), { ...states.at(-1), state: 'ended', reason: 'stopped' });
  });

  it('stop() during the restart delay cancels the restart', async () => {
    const { source } = await startSource({ ...LIVE, restart: { initialDelayMs: 300, maxDelayMs: 300 } });
    source.frames$.subscribe({ error: () => {} });
    source.start();
    const { pid } = await nextState(source.states$, 'running');
    process.kill(pid!, 'SIGKILL');
    await nextState(source.states$, 'reconnecting');
    await source.stop();
    await sleep(400); // the behaviour: no restart for longer than the 300 ms delay (a restart that does not happen sends no event)
    assert.deepEqual(ffmpegChildren(), []);
    assert.equal(source.stats().state, 'ended');
  });
});
