/**
 * The `cluster` section: where the NATS JetStream broker is, and the broker-side settings of the
 * live and replay streams (docs/distributed.md). Without `url` nothing uses a broker: `serve` and
 * `run` work alone; `ingest`, `worker` and `gateway` need it (`--nats URL`, DECORRUPTOR_NATS_URL).
 * Every role should be given the same settings: whichever starts first creates the streams.
 */
import { z } from 'zod';

/** nats://host:port (also tls://, ws://, wss://) or host:port. Credentials go in `auth`, where logs never show them. */
const NATS_SERVER = /^((nats|tls|ws|wss):\/\/)?[^\s,/:@]+(:\d{1,5})?$/;

const natsUrlSchema = z
  .string()
  .min(1)
  .superRefine((url, ctx) => {
    if (url.split(',').every((server) => NATS_SERVER.test(server.trim()))) return;
    // The error quotes the value: never a password someone put in it.
    ctx.addIssue({ code: 'custom', message: 'expected nats://host:port, or several separated by commas (a user and password go in cluster.auth)', input: url.replace(/\/\/[^/@,]*@/g, '//***@') });
  });

/** Own messages, so that an error never echoes the secret. */
const secretSchema = z.string({ error: 'expected a string' }).min(1, 'must not be empty');
const pemFileSchema = z.string().min(1);

/** How a role proves who it is to the broker: a user and password, or a token (nats-server's `authorization`). */
const authSchema = z
  .strictObject({
    user: z.string().min(1).optional(),
    /** Best from $DECORRUPTOR_NATS_PASSWORD, not from a committed file. */
    password: secretSchema.optional(),
    /** Best from $DECORRUPTOR_NATS_TOKEN. */
    token: secretSchema.optional(),
  })
  .superRefine((auth, ctx) => {
    // `input` is the named field's own value (absent, or a user name): the error never quotes a secret.
    const issue = (path: string, message: string, input?: string) => ctx.addIssue({ code: 'custom', path: [path], message, input });
    if (auth.user !== undefined && auth.password === undefined) issue('password', 'a user needs its password (cluster.auth.password, $DECORRUPTOR_NATS_PASSWORD)');
    if (auth.password !== undefined && auth.user === undefined) issue('user', 'a password needs its user (cluster.auth.user, $DECORRUPTOR_NATS_USER)');
    if (auth.token !== undefined && auth.user !== undefined) issue('user', 'give a token or a user and password, not both', auth.user);
  });

/**
 * TLS to the broker; present (even `{}`) means TLS is required. The broker's certificate is checked
 * against `ca` (else Node's CA list); `cert` + `key` are this client's, for a broker that verifies
 * clients (nats-server `tls { verify: true }`). PEM files.
 */
const tlsSchema = z
  .strictObject({ ca: pemFileSchema.optional(), cert: pemFileSchema.optional(), key: pemFileSchema.optional() })
  .superRefine((tls, ctx) => {
    if (tls.cert !== undefined && tls.key === undefined) ctx.addIssue({ code: 'custom', path: ['key'], message: 'a client certificate needs its key (cluster.tls.key)', input: undefined });
    if (tls.key !== undefined && tls.cert === undefined) ctx.addIssue({ code: 'custom', path: ['cert'], message: 'a client key needs its certificate (cluster.tls.cert)', input: undefined });
  });

export const clusterSchema = z.strictObject({
  /** The broker: nats://host:4222 (several, comma-separated, for a NATS cluster); tls://host:4222 requires TLS. */
  url: natsUrlSchema.optional(),
  auth: authSchema.prefault({}),
  tls: tlsSchema.optional(),
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
