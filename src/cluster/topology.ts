/**
 * The streams and consumers of the cluster, created or brought up to date by whichever role starts
 * first, and again by every role after a reconnect: the live stream lives in memory, so a restarted
 * broker has lost it (and its consumer). Idempotent, and safe when several roles race to do it.
 * The settings are the config's `cluster` section; every role should be given the same.
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { ClusterConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { CONSUMERS, MAX_DELIVERIES_ADVISORY, STREAMS, SUBJECTS } from './subjects.js';

export type TopologySettings = Pick<ClusterConfig, 'live' | 'replay'>;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** A PubAck lost in an outage makes the publisher retry: the retry within this window is dropped as a duplicate. */
const DUPLICATE_WINDOW_MS = 2 * MINUTE_MS;
/** Whatever no worker took within a day (no worker ever came) is not worth keeping. */
const REPLAY_MAX_AGE_MS = 24 * HOUR_MS;
/** A run reads its results back at once; an hour covers a run whose reader was restarted. */
const RESULTS_MAX_AGE_MS = HOUR_MS;
const DEAD_LETTER_MAX_AGE_MS = 7 * 24 * HOUR_MS;

/** API error codes that mean "someone else created it first": then update instead. */
const ALREADY_EXISTS = new Set([10058 /* stream name in use */, 10148 /* consumer already exists */, 10013 /* consumer name in use */]);

export function streamConfigs(settings: TopologySettings): Array<Partial<StreamConfig> & { name: string }> {
  return [
    {
      name: STREAMS.live,
      subjects: [SUBJECTS.allLiveFrames],
      storage: StorageType.Memory,
      retention: RetentionPolicy.Limits,
      max_msgs_per_subject: 1,
      discard: DiscardPolicy.Old,
      max_age: nanos(settings.live.maxAgeMs),
      duplicate_window: nanos(Math.min(settings.live.maxAgeMs, DUPLICATE_WINDOW_MS)),
      num_replicas: 1,
    },
    {
      name: STREAMS.replay,
      subjects: [SUBJECTS.allReplayFrames],
      storage: StorageType.File,
      retention: RetentionPolicy.Workqueue,
      // Full: the publish is refused and the publisher waits (backpressure), nothing is dropped.
      discard: DiscardPolicy.New,
      max_msgs: settings.replay.maxFrames,
      max_age: nanos(REPLAY_MAX_AGE_MS),
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      num_replicas: 1,
    },
    {
      name: STREAMS.results,
      subjects: [SUBJECTS.allReplayResults],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: nanos(RESULTS_MAX_AGE_MS),
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      num_replicas: 1,
    },
    {
      name: STREAMS.deadLetter,
      subjects: [MAX_DELIVERIES_ADVISORY],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: nanos(DEAD_LETTER_MAX_AGE_MS),
      num_replicas: 1,
    },
  ];
}

export function consumerConfigs(settings: TopologySettings): Array<{ stream: string; config: Partial<ConsumerConfig> & { durable_name: string } }> {
  return [
    {
      stream: STREAMS.live,
      config: {
        durable_name: CONSUMERS.live,
        filter_subject: SUBJECTS.allLiveFrames,
        // A live frame is worth one try: a worker that dies with it loses one frame, a newer one follows.
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.LastPerSubject,
      },
    },
    {
      stream: STREAMS.replay,
      config: {
        durable_name: CONSUMERS.replay,
        filter_subject: SUBJECTS.allReplayFrames,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(settings.replay.ackWaitMs),
        max_deliver: settings.replay.maxDeliver,
        max_ack_pending: settings.replay.maxAckPending,
      },
    },
  ];
}

/** Creates what is missing and updates what differs; logs (and keeps) what cannot be changed in place. */
export async function ensureTopology(jsm: JetStreamManager, settings: TopologySettings, log: Logger): Promise<void> {
  for (const config of streamConfigs(settings)) await ensureStream(jsm, config, log);
  for (const { stream, config } of consumerConfigs(settings)) await ensureConsumer(jsm, stream, config, log);
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }, log: Logger): Promise<void> {
  try {
    await jsm.streams.add(config);
    return;
  } catch (error) {
    if (!isApiError(error, ALREADY_EXISTS)) throw error;
  }
  try {
    await jsm.streams.update(config.name, config);
  } catch (error) {
    // Storage and retention cannot change in place; the stream as it is still works.
    log.warn(`broker: stream ${config.name} exists with settings that cannot be changed in place; keeping it`, { error: (error as Error).message });
  }
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, config: Partial<ConsumerConfig> & { durable_name: string }, log: Logger): Promise<void> {
  try {
    await jsm.consumers.add(stream, config);
    return;
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error;
  }
  const { ack_wait, max_deliver, max_ack_pending } = config;
  try {
    await jsm.consumers.update(stream, config.durable_name, { ack_wait, max_deliver, max_ack_pending });
  } catch (error) {
    log.warn(`broker: consumer ${stream}/${config.durable_name} exists with settings that cannot be changed in place; keeping it`, { error: (error as Error).message });
  }
}

function isApiError(error: unknown, codes: ReadonlySet<number>): boolean {
  return error instanceof JetStreamApiError && codes.has(error.code);
}

/** The error code of a JetStream API refusal (10077: the stream is full), else undefined. */
export function apiErrorCode(error: unknown): number | undefined {
  return error instanceof JetStreamApiError ? error.code : undefined;
}
