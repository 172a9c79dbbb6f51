/**
 * Every name the cluster uses on the broker, in one place (docs/distributed.md lists the same).
 * Stream ids are safe as subject tokens: the config allows [A-Za-z0-9_.-] only, and a '.' in an id
 * simply makes more tokens (the `>` wildcards below still match; the subject is never parsed back).
 *
 *   decorruptor.frames.live.<stream>              ingest -> LIVE stream (newest frame per stream)
 *   decorruptor.frames.replay.<job>.<stream>      ingest / run -> REPLAY work queue
 *   decorruptor.results.live.<stream>             worker -> gateways (core NATS, not stored)
 *   decorruptor.results.replay.<job>.<stream>     worker -> RESULTS stream (run reads it back)
 *   decorruptor.control.corruption.<stream>       gateway -> the owning ingest (request/reply)
 *   decorruptor.workers.<worker>                  worker heartbeats (core NATS)
 */

const ROOT = 'decorruptor';

export const SUBJECTS = {
  liveFrames: (streamId: string) => `${ROOT}.frames.live.${streamId}`,
  allLiveFrames: `${ROOT}.frames.live.>`,
  replayFrames: (job: string, streamId: string) => `${ROOT}.frames.replay.${job}.${streamId}`,
  allReplayFrames: `${ROOT}.frames.replay.>`,
  liveResults: (streamId: string) => `${ROOT}.results.live.${streamId}`,
  replayResults: (job: string, streamId: string) => `${ROOT}.results.replay.${job}.${streamId}`,
  jobResults: (job: string) => `${ROOT}.results.replay.${job}.>`,
  allReplayResults: `${ROOT}.results.replay.>`,
  /** Every result, live and replayed: what a gateway shows. */
  allResults: `${ROOT}.results.>`,
  setCorruption: (streamId: string) => `${ROOT}.control.corruption.${streamId}`,
  workerHeartbeat: (workerId: string) => `${ROOT}.workers.${workerId}`,
  allWorkerHeartbeats: `${ROOT}.workers.*`,
} as const;

/** JetStream streams. */
export const STREAMS = {
  /** Memory; max_msgs_per_subject 1, discard old, short max_age: the broker's latestFrame. */
  live: 'DECORRUPTOR_LIVE',
  /** File; work queue, explicit acks, discard new when full (the publisher then waits). */
  replay: 'DECORRUPTOR_REPLAY',
  /** File; replayed frames' results until the run that asked for them has read them. */
  results: 'DECORRUPTOR_RESULTS',
  /** File; the server's MAX_DELIVERIES advisories for replayed frames no worker could finish. */
  deadLetter: 'DECORRUPTOR_DEAD_LETTER',
} as const;

/** Durable pull consumers, shared by every worker (each message goes to one of them). */
export const CONSUMERS = {
  live: 'live-workers',
  replay: 'replay-workers',
} as const;

/** The advisory the server publishes when a replayed frame ran out of deliveries. */
export const MAX_DELIVERIES_ADVISORY = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${STREAMS.replay}.${CONSUMERS.replay}`;

/** KV bucket of stream states (key: stream id), written by the ingest that owns each stream. */
export const STREAM_STATES_BUCKET = 'decorruptor_streams';

/** A subject token unique enough to name a job or an instance: base36 time + randomness. */
export function uniqueToken(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
