/**
 * The `cluster` section: where the NATS JetStream broker is, and the broker-side settings of the
 * live and replay streams (docs/distributed.md). Without `url` nothing uses a broker: `serve` and
 * `run` work alone; `ingest`, `worker` and `gateway` need it (`--nats URL`, DECORRUPTOR_NATS_URL).
 * Every role should be given the same settings: whichever starts first creates the streams.
 */
import { z } from 'zod';

/** nats://host:port (also tls://, ws://, wss://) or host:port. */
const NATS_SERVER = /^((nats|tls|ws|wss):\/\/)?[^\s,/:]+(:\d{1,5})?$/;

const natsUrlSchema = z
  .string()
  .min(1)
  .refine((url) => url.split(',').every((server) => NATS_SERVER.test(server.trim())), {
    message: 'expected nats://host:port, or several separated by commas',
  });

export const clusterSchema = z.strictObject({
  /** The broker: nats://host:4222 (several, comma-separated, for a NATS cluster). */
  url: natsUrlSchema.optional(),
  live: z
    .strictObject({
      /** A live frame that no worker took within this long is stale: the broker discards it. */
      maxAgeMs: z.int().min(100).max(60_000).default(2000),
    })
    .prefault({}),
  replay: z
    .strictObject({
      /** A replayed frame that is not acked this long after delivery goes to another worker. */
      ackWaitMs: z.int().min(500).max(3_600_000).default(30_000),
      /** Deliveries of one frame before it is given up (the dead-letter stream records it). */
      maxDeliver: z.int().min(1).max(100).default(5),
      /** Frames delivered to workers and not yet acked, all workers together. */
      maxAckPending: z.int().min(1).max(100_000).default(256),
      /** Frames the replay stream holds; when full, publishers wait (nothing is dropped). */
      maxFrames: z.int().min(16).max(10_000_000).default(2048),
    })
    .prefault({}),
});

export type ClusterConfig = z.output<typeof clusterSchema>;
