import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import { SourceFailedError, SourceUnreadableError } from '../../src/stream/errors.js';
import { decodeArgv, decodePlan } from '../../src/stream/ffmpeg.js';
import type { Frame } from '../../src/stream/frame.js';
import { FrameSource, type FrameSourceOptions, type SourceStateEvent } from '../../src/stream/source.js';
import { decodeWithFfmpeg, ffmpegChildren, isAlive, makeTestClip, nextState } from '../helpers/stream-ffmpeg.js';
import { sleep, waitFor } from '../helpers/wait.js';

const FRAME_BYTES = 64 * 48 * 3;
let dir: string;
let clip: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stream-replay-'));
  clip = await makeTestClip(join(dir, 'clip.mp4'), { frames: 48, width: 64, height: 48, fps: 24 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const started: FrameSource[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((source) => source.stop()));
});

async function replay(options: Partial<FrameSourceOptions> = {}) {
  const source = await FrameSource.create({ id: 'clip', url: clip, width: 64, height: 48, fit: 'crop', ...options });
  started.push(source);
  const states: SourceStateEvent[] = [];
  source.states$.subscribe((event) => states.push(event));
  return { source, states };
}

describe('FrameSource, replay (real ffmpeg, generated mp4)', { timeout: 30_000 }, () => {
  it('delivers exactly the frames ffprobe counts, in order, then ends', async () => {
    const { source, states } = await replay({ maxInFlight: 4 });
    assert.equal(source.mode, 'replay');
    assert.equal(source.probed?.frameCount, 48);
    assert.equal(source.probed?.fps, 24);

    // A consumer that is done with each frame at once (release inside next()).
    const all = lastValueFrom(source.frames$.pipe(toArray()));
    source.frames$.subscribe(() => source.release());
    source.start();
    const frames = await all;

    assert.equal(frames.length, 48);
    assert.deepEqual(frames.map((frame) => frame.seq), [...Array(48).keys()]);
    assert.deepEqual(frames.map((frame) => frame.ptsMs), [...Array(48).keys()].map((i) => (i * 1000) / 24));
    assert.deepEqual(frames.filter((frame) => frame.discontinuity).map((frame) => frame.seq), [0]);
    await assertSameAsFfmpeg(source, frames);
    assert.deepEqual(states.map((event) => event.state), ['starting', 'running', 'ended']);
    assert.deepEqual(states.at(-1), { ...states.at(-1), reason: 'end-of-input' });
    assert.deepEqual(ffmpegChildren(), []);
  });

  it('pauses ffmpeg while the consumer holds maxInFlight frames, and loses nothing', async () => {
    const { source } = await replay({ maxInFlight: 4 });
    const frames: Frame[] = [];
    let released = 0;
    let mostInFlight = 0;
    const done = new Promise<void>((resolve, reject) =>
      source.frames$.subscribe({
        next: (frame) => {
          frames.push(frame);
          mostInFlight = Math.max(mostInFlight, frames.length - released);
        },
        error: reject,
        complete: resolve,
      }),
    );
    source.start();

    // Nobody releases: four frames come, then ffmpeg is held (alive: it cannot finish the file).
    await waitFor(() => source.stats().paused, { what: 'the source to pause', timeoutMs: 5000 });
    await sleep(300); // the behaviour: no fifth frame meanwhile (a frame that is not sent has no event)
    assert.equal(frames.length, 4);
    assert.deepEqual(source.stats(), { ...source.stats(), inFlight: 4, paused: true, state: 'running' });
    assert.ok(isAlive(source.pid!), 'ffmpeg is paused, not finished');

    // A slow consumer: one frame every few ms.
    while (released < 48) {
      await sleep(3); // the behaviour: a consumer that takes its time
      released++;
      source.release();
    }
    await done;
    assert.equal(frames.length, 48);
    assert.deepEqual(frames.map((frame) => frame.seq), [...Array(48).keys()]);
    assert.ok(mostInFlight <= 4, `at most maxInFlight frames in flight, saw ${mostInFlight}`);
    await assertSameAsFfmpeg(source, frames);
  });

  it('fails fast on a missing file, naming it and quoting ffprobe', async () => {
    const missing = join(dir, 'no-such-clip.mp4');
    await assert.rejects(
      FrameSource.create({ id: 'gone', url: missing, width: 64, height: 48, fit: 'crop' }),
      (error: unknown) => {
        assert.ok(error instanceof SourceUnreadableError);
        assert.equal(error.code, 'SOURCE_UNREADABLE');
        assert.equal(error.sourceId, 'gone');
        assert.ok(error.message.includes(missing));
        assert.ok(error.stderrTail.some((line) => line.includes('No such file or directory')));
        assert.ok(error.message.includes('No such file or directory'));
        return true;
      },
    );
  });

  it('fails fast on a file that is not a video', async () => {
    const junk = join(dir, 'junk.mp4');
    writeFileSync(junk, 'this is not a video\n'.repeat(100));
    await assert.rejects(
      FrameSource.create({ id: 'junk', url: junk, width: 64, height: 48, fit: 'crop' }),
      (error: unknown) => error instanceof SourceUnreadableError && error.code === 'SOURCE_UNREADABLE' && error.message.includes(junk),
    );
  });

  it('errors with SOURCE_FAILED, not a silent end, when ffmpeg dies mid-file', async () => {
    const { source } = await replay({ maxInFlight: 2 });
    const outcome = lastValueFrom(source.frames$).then(
      () => assert.fail('frames$ should error'),
      (error: unknown) => error,
    );
    source.start();
    await waitFor(() => source.stats().paused, { what: 'the source to pause', timeoutMs: 5000 });
    process.kill(source.pid!, 'SIGKILL');
    let settled = false;
    const settle = () => (settled = true);
    outcome.then(settle, settle);
    // Let what was already read drain, releasing again until frames$ ends.
    await waitFor(() => {
      if (!settled) source.release(100);
      return settled;
    }, { what: 'frames$ to end', timeoutMs: 5000 });
    const error = await outcome;
    assert.ok(error instanceof SourceFailedError);
    assert.equal(error.code, 'SOURCE_FAILED');
    assert.match(error.message, /SIGKILL/);
  });

  it('stop() while paused ends ffmpeg, completes frames$ and leaves no child', async () => {
    const { source, states } = await replay({ maxInFlight: 2 });
    const completed = lastValueFrom(source.frames$.pipe(toArray()));
    source.start();
    const { pid } = await nextState(source.states$, 'running');
    await waitFor(() => source.stats().paused, { what: 'the source to pause', timeoutMs: 5000 });
    await source.stop();
    assert.equal((await completed).length, 2);
    assert.equal(isAlive(pid!), false);
    assert.deepEqual(ffmpegChildren(), []);
    assert.deepEqual(states.at(-1), { ...states.at(-1), state: 'ended', reason: 'stopped' });
  });
});

/** Compares the frames with ffmpeg's own decode of the same file with the same arguments. */
async function assertSameAsFfmpeg(source: FrameSource, frames: Frame[]): Promise<void> {
  const argv = decodeArgv(decodePlan(source.input, { width: 64, height: 48, fit: 'crop', realtime: false }));
  const reference = await decodeWithFfmpeg(argv);
  assert.equal(reference.length, frames.length * FRAME_BYTES);
  frames.forEach((frame, index) => {
    const expected = reference.subarray(index * FRAME_BYTES, (index + 1) * FRAME_BYTES);
    assert.ok(Buffer.from(frame.data).equals(expected), `frame ${index} differs from ffmpeg's own decode`);
  });
}
