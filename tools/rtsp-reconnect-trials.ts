/**
 * How long an RTSP source takes to come back after its camera does: N trials of stopping a real
 * RTSP server (tools/rtsp-server.py), waiting `--outage-ms`, starting it again and timing
 * "server listening again -> first frame", split into the backoff wait (until the ffmpeg that
 * succeeds is spawned) and connect + probe + first decoded frame.
 *
 *   npx tsx tools/rtsp-reconnect-trials.ts [--trials 10] [--outage-ms 2000] [--rate 25]
 *       [--initial-delay-ms 500] [--max-delay-ms 30000] [--json bench/results/rtsp-reconnect.json]
 *
 * The restart defaults are the configuration's (sources[].restart). Needs the packages named in
 * test/helpers/reliability-rtsp.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { FrameSource, type SourceStateEvent } from '../src/stream/index.js';
import { RtspTestServer, rtspUnavailableReason } from '../test/helpers/reliability-rtsp.js';
import { sleep, waitFor } from '../test/helpers/wait.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '10' },
    'outage-ms': { type: 'string', default: '2000' },
    rate: { type: 'string', default: '25' },
    'initial-delay-ms': { type: 'string', default: '500' },
    'max-delay-ms': { type: 'string', default: '30000' },
    json: { type: 'string' },
  },
});
const trials = Number(values.trials);
const outageMs = Number(values['outage-ms']);
const restart = { initialDelayMs: Number(values['initial-delay-ms']), maxDelayMs: Number(values['max-delay-ms']), maxAttempts: null };

interface Trial {
  trial: number;
  /** Failed attempts while the server was down. */
  attemptsWhileDown: number;
  /** Server listening again -> the ffmpeg that succeeded was spawned (the pending backoff delay). */
  backoffWaitMs: number;
  /** That spawn -> first frame (RTSP handshake, ffmpeg's stream probe, first decoded frame). */
  connectMs: number;
  /** Server listening again -> first frame. */
  totalMs: number;
}

/** Frame and state times are recorded as they happen; polling them often only ends the waits sooner. */
const POLL = { timeoutMs: 60_000, intervalMs: 5 };

function summary(values: number[]): { min: number; median: number; p95: number; max: number; mean: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { min: sorted[0]!, median: at(0.5), p95: at(0.95), max: sorted.at(-1)!, mean: Math.round(mean) };
}

async function main(): Promise<void> {
  const missing = await rtspUnavailableReason();
  if (missing) {
    console.error(missing);
    process.exitCode = 3;
    return;
  }
  const rtsp = await RtspTestServer.start({ rate: Number(values.rate) });
  const source = await FrameSource.create({ id: 'cam', url: rtsp.url, mode: 'live', width: 64, height: 48, fit: 'crop', stallTimeoutMs: 10_000, restart });
  const frameTimes: number[] = [];
  const states: SourceStateEvent[] = [];
  source.frames$.subscribe({ next: () => frameTimes.push(Date.now()), error: () => {} });
  source.states$.subscribe((event) => states.push(event));
  source.start();
  const results: Trial[] = [];
  try {
    await waitFor(() => frameTimes.length > 0, { what: 'the first frame', ...POLL });
    console.log(`RTSP ${rtsp.url}, ${values.rate} fps; outage ${outageMs} ms; restart ${JSON.stringify(restart)}`);
    console.log('trial  attempts-while-down  backoff-wait-ms  connect-ms  total-ms');
    for (let trial = 1; trial <= trials; trial++) {
      const statesBefore = states.length;
      await rtsp.stop();
      await waitFor(() => states.slice(statesBefore).find((e) => e.state === 'reconnecting'), { what: "'reconnecting'", ...POLL });
      await sleep(outageMs);
      await rtsp.start();
      const upAt = rtsp.upAt;
      const firstFrameAt = await waitFor(() => frameTimes.find((t) => t >= upAt), { what: 'a frame after the outage', ...POLL });
      const sinceDown = states.slice(statesBefore);
      const running = sinceDown.find((e) => e.state === 'running')!;
      const succeeded = sinceDown.filter((e) => e.state === 'starting' && e.attempt === running.attempt).at(-1)!;
      const result: Trial = {
        trial,
        attemptsWhileDown: sinceDown.filter((e) => e.state === 'starting' && e.at < upAt).length,
        backoffWaitMs: Math.max(0, succeeded.at - upAt),
        connectMs: firstFrameAt - Math.max(succeeded.at, upAt),
        totalMs: firstFrameAt - upAt,
      };
      results.push(result);
      console.log(
        `${String(trial).padStart(5)}  ${String(result.attemptsWhileDown).padStart(19)}  ${String(result.backoffWaitMs).padStart(15)}  ${String(result.connectMs).padStart(10)}  ${String(result.totalMs).padStart(8)}`,
      );
      await sleep(1000); // steady running between trials
    }
  } finally {
    await source.stop();
    await rtsp.stop();
  }
  const report = {
    at: new Date().toISOString(),
    rate: Number(values.rate),
    outageMs,
    restart,
    trials: results,
    totalMs: summary(results.map((r) => r.totalMs)),
    backoffWaitMs: summary(results.map((r) => r.backoffWaitMs)),
    connectMs: summary(results.map((r) => r.connectMs)),
  };
  console.log(`total ms:        ${JSON.stringify(report.totalMs)}`);
  console.log(`backoff wait ms: ${JSON.stringify(report.backoffWaitMs)}`);
  console.log(`connect ms:      ${JSON.stringify(report.connectMs)}`);
  if (values.json) {
    await mkdir(dirname(values.json), { recursive: true });
    await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`wrote ${values.json}`);
  }
}

await main();
