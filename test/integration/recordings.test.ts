/**
 * serve's recordings (sinks.recordings): a live lavfi stream written to rolling 1 s segments that
 * play (ffprobe counts their frames), old ones deleted by retention while it runs, the last one
 * finished on stop; and retention itself on a folder of made-up names.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { MetricsSnapshot, parsePrometheusText } from '../../src/bench/prometheus.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { startServe } from '../../src/runtime/index.js';
import { ServiceMetrics } from '../../src/server/index.js';
import { StreamRegistry } from '../../src/server/stream-registry.js';
import { RecordingSink } from '../../src/sinks/index.js';
import { applyRetention, segmentPattern } from '../../src/sinks/segment-retention.js';
import { FIXTURE_BUNDLE } from '../helpers/reliability-cli.js';
import { labeled } from '../helpers/sink-inputs.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);

async function playableFrames(file: string): Promise<number> {
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,codec_name', '-of', 'csv=p=0', file]);
  const [codec, frames] = stdout.trim().split(',');
  assert.equal(codec, 'h264', file);
  return Number(frames);
}

test('serve records a stream to rolling 1 s segments; retention deletes the old ones while it runs', async (t) => {
  const dir = await tempDir(t, 'recordings-');
  const config = await loadConfig({
    file: undefined,
    overrides: {
      logLevel: 'silent',
      server: { port: 0 },
      model: { bundle: FIXTURE_BUNDLE, intraOpThreads: 1 },
      sources: [
        { id: 'cam', url: 'lavfi:testsrc2=size=160x120:rate=10', width: 160, height: 120 },
        { id: 'other', url: 'lavfi:testsrc=size=64x48:rate=5', width: 64, height: 48 },
      ],
      sinks: { recordings: { dir, segmentSeconds: 1, retentionSegments: 2, streams: ['cam'] } },
    },
  });
  const serving = await startServe(config, { log: silentLogger });
  const seen = new Set<string>();
  const segments = () => readdirSync(dir).filter((name) => name.endsWith('.mp4')).sort();
  try {
    // Names seen over time: the first ones must be gone while later ones are written.
    await waitFor(
      () => {
        for (const name of segments()) seen.add(name);
        const [first] = [...seen].sort();
        return seen.size >= 4 && first !== undefined && !segments().includes(first);
      },
      { what: 'four segments written and the first deleted', timeoutMs: 60_000, detail: () => `seen ${[...seen].join(', ')}` },
    );
  } finally {
    await serving.stop();
  }
  const left = segments();
  assert.ok(left.length <= 2, `retention keeps two (${left.join(', ')})`);
  assert.ok(left.every((name) => /^cam-\d{8}T\d{6}\.\d{3}Z-\d{5}\.mp4$/.test(name)), 'only the chosen stream, named by start time and index');
  for (const name of left) assert.ok((await playableFrames(join(dir, name))) > 0, `${name} plays`);
  // A full segment holds about a second of a 10 fps stream (fewer if the worker fell behind).
  const full = [...seen].sort()[1]!;
  if (left.includes(full)) assert.ok((await playableFrames(join(dir, full))) <= 15);
});

test('retention keeps the newest N of each stream and deletes what is older than its hours; other files are left alone', async (t) => {
  const dir = await tempDir(t, 'retention-');
  const at = (iso: string) => new Date(iso);
  const name = (stream: string, start: string, index: number) => segmentPattern(dir, stream, at(start)).replace('%05d', String(index).padStart(5, '0'));
  const files = [
    name('cam', '2025-01-01T00:00:00.000Z', 0),
    name('cam', '2025-01-01T00:00:00.000Z', 1),
    name('cam', '2025-01-02T00:00:00.000Z', 0),
    name('cam-2', '2025-01-01T00:00:00.000Z', 0),
    join(dir, 'notes.txt'),
  ];
  for (const file of files) await writeFile(file, 'x');
  const deleted = await applyRetention(dir, { segments: 2 });
  assert.deepEqual(deleted, ['cam-20250101T000000.000Z-00000.mp4']);
  assert.deepEqual(readdirSync(dir).sort(), ['cam-2-20250101T000000.000Z-00000.mp4', 'cam-20250101T000000.000Z-00001.mp4', 'cam-20250102T000000.000Z-00000.mp4', 'notes.txt']);

  const old = Date.now() / 1000 - 3 * 3600;
  await utimes(files[3]!, old, old);
  await utimes(files[4]!, old, old);
  assert.deepEqual(await applyRetention(dir, { hours: 2 }), ['cam-2-20250101T000000.000Z-00000.mp4']);
  assert.ok(readdirSync(dir).includes('notes.txt'), 'a file that is not a segment is never deleted');
});

test('a recording that falls behind drops frames beyond 30 waiting, and one whose encode fails stops: both counted on /metrics', async (t) => {
  const dir = await tempDir(t, 'recording-drops-');
  const metrics = new ServiceMetrics(new StreamRegistry(), { defaultMetrics: false });
  const recordings = await RecordingSink.open({ dir, segmentSeconds: 60, retention: { segments: 5 }, streams: '*', layout: 'overlay', timings: () => ({}), log: silentLogger, metrics });
  // 40 frames at once: the first goes to the encoder, 30 wait, 9 are dropped, whatever the machine.
  for (let seq = 0; seq < 40; seq++) {
    const { frame, inference } = labeled('fast', seq, 'cat');
    recordings.frame({ ...frame, width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(seq) }, inference);
  }
  // A stream whose segments cannot be written (its folder is gone): the encode fails.
  const gone = await tempDir(t, 'recording-gone-');
  const broken = await RecordingSink.open({ dir: gone, segmentSeconds: 60, retention: { segments: 5 }, streams: '*', layout: 'overlay', timings: () => ({}), log: silentLogger, metrics });
  await rm(gone, { recursive: true });
  const scrape = async () => new MetricsSnapshot(parsePrometheusText((await metrics.exposition()).body));
  let seq = 0;
  // A frame each poll, until ffmpeg has given up on the output.
  await waitFor(
    async () => {
      const { frame, inference } = labeled('doomed', seq++, 'dog');
      broken.frame({ ...frame, width: 64, height: 48, data: new Uint8Array(64 * 48 * 3) }, inference);
      return (await scrape()).sum('decorruptor_recording_failures_total', { stream: 'doomed' }) > 0;
    },
    { what: 'the encode into a missing folder to fail' },
  );
  await Promise.all([recordings.close(), broken.close()]);
  const after = await scrape();
  assert.equal(after.sum('decorruptor_recording_frames_dropped_total', { stream: 'fast', reason: 'behind' }), 9);
  assert.equal(after.sum('decorruptor_recording_failures_total', { stream: 'fast' }), 0);
  assert.equal(after.sum('decorruptor_recording_failures_total', { stream: 'doomed' }), 1);
  assert.ok(readdirSync(dir).some((name) => name.startsWith('fast-')), 'the stream that kept up still has its segment');
});
