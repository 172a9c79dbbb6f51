/**
 * The one schema for the whole application's configuration. Every default lives here, so a config
 * file only has to name what it changes, and `configJsonSchema()` documents the same rules the
 * loader enforces. Objects are strict: a misspelt key is an error, not a silently ignored setting.
 */
import { z } from 'zod';
import { SMOOTHING_MODES } from '../flow/smoothing/label-smoother.js';
import { EDITOR_NOISE_SOURCES } from '../model/noise.js';
import { ENSEMBLE_MODES, GATE_MODES } from '../model/types.js';
import { PRECISIONS } from '../model/precision.js';
import { ANNOTATE_LAYOUTS } from '../sinks/annotate-frame.js';
import { isLoopbackHost } from './hosts.js';
import { defaultMode, NETWORK_SCHEMES, sourceKind } from './sources.js';
import { clusterSchema } from './cluster.js';
import { overlongMessage, overlongRegionIds, regionListSchema, regionStreamId } from './regions.js';

const KIB = 1024;
const MIB = 1024 * KIB;

export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;
export const EXECUTION_PROVIDERS = ['cuda', 'tensorrt', 'dml', 'coreml', 'webgpu', 'cpu'] as const;

/** Source ids end up in metric labels, DOM ids and URLs: keep them plain. */
const sourceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected 1-64 letters, digits, "_", "-" or "." (starting with a letter or digit)');

const sourceUrlSchema = z
  .string()
  .min(1)
  .refine((url) => sourceKind(url) !== undefined, {
    message: `unsupported input: use a file path, /dev/videoN, lavfi:<graph>, "demo" or a ${NETWORK_SCHEMES.join('/')} URL`,
  });

/** A corruption spec such as "fog:4", or several; src/corrupt parses and checks them. */
const corruptionSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const restartSchema = z.strictObject({
  /** Restarts in a row before the source is given up as failed; null never gives up (cameras come back). */
  maxAttempts: z.int().positive().nullable().default(null),
  initialDelayMs: z.int().positive().default(500),
  maxDelayMs: z.int().positive().default(30_000),
});

export const sourceSchema = z
  .strictObject({
    id: sourceIdSchema,
    url: sourceUrlSchema,
    /** live: keep only the newest frame; replay: lose nothing. Default: replay for files, live otherwise. */
    mode: z.enum(['live', 'replay']).optional(),
    /** Read the input at its native rate (ffmpeg -re). Default: true for live sources, false for replay. */
    realtime: z.boolean().optional(),
    /** Display size frames are decoded to. */
    width: z.int().min(16).max(4096).default(320),
    height: z.int().min(16).max(4096).default(240),
    /** crop: fill the display size and cut the overflow; pad: letterbox the whole picture. */
    fit: z.enum(['crop', 'pad']).default('crop'),
    /** Frame-rate cap; omitted means the source's own rate. */
    fps: z.number().positive().max(240).optional(),
    /** A source that delivers no frame for this long is restarted (stalled RTSP streams never exit). */
    stallTimeoutMs: z.int().min(100).default(10_000),
    restart: restartSchema.prefault({}),
    corrupt: corruptionSchema.optional(),
    /** Regions of interest, each classified as its own stream `<id>.<region id>` (src/config/regions.ts); live sources only. */
    regions: regionListSchema.optional(),
  })
  .refine((s) => s.restart.initialDelayMs <= s.restart.maxDelayMs, {
    message: 'must not exceed restart.maxDelayMs',
    path: ['restart', 'initialDelayMs'],
  })
  .superRefine((s, ctx) => {
    if (!s.regions?.length) return;
    const kind = sourceKind(s.url);
    // A replayed file loses no frame, so each region would have to hold its source's frames back too; not supported.
    if (kind !== undefined && (s.mode ?? defaultMode(kind)) === 'replay') {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: 'regions need a live source, and this one is replayed (files are by default): set mode "live" to serve a file with regions', input: s.regions });
    }
    for (const index of overlongRegionIds(s.id, s.regions)) {
      ctx.addIssue({ code: 'custom', path: ['regions', index, 'id'], message: overlongMessage(s.id, s.regions[index]!.id), input: s.regions[index]!.id });
    }
  })
  .transform((s) => {
    const kind = sourceKind(s.url)!;
    const mode = s.mode ?? defaultMode(kind);
    return { ...s, kind, mode, realtime: s.realtime ?? mode === 'live' };
  });

export const serverSchema = z.strictObject({
  /** Loopback by default: the stream is not exposed to the network until someone decides to. */
  host: z.string().min(1).default('127.0.0.1'),
  port: z.int().min(0).max(65_535).default(8080),
  auth: z
    .strictObject({
      /** When set, /ws needs `?token=` or `Authorization: Bearer <token>`. */
      // Own messages, so that an error never echoes the secret.
      token: z.string({ error: 'expected a string' }).min(16, 'must be at least 16 characters').optional(),
    })
    .prefault({}),
  /**
   * The stream API (/api/streams: list, add, remove, set corruption; docs/api.md), off by default.
   * It takes the auth.token; with none it is refused unless `host` is a loopback address.
   */
  api: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Largest request body accepted (413 beyond). */
      maxBodyBytes: z.int().min(1024).max(16 * MIB).default(64 * KIB),
    })
    .prefault({}),
  /** Browser origins allowed on /ws; ["*"] allows any. Omitted: same origin only (non-browser clients always pass). */
  allowedOrigins: z.array(z.string().min(1)).optional(),
  /** Largest message a client may send; larger ones close the connection with 1009. */
  maxPayloadBytes: z.int().min(256).max(16 * MIB).default(64 * KIB),
  /** A client whose socket holds more unsent bytes than this skips frames until it catches up. */
  clientQueueBytes: z.int().min(16 * KIB).max(256 * MIB).default(2 * MIB),
  /** Ping interval; a client that has not answered the previous ping is dropped. */
  heartbeatMs: z.int().min(100).max(600_000).default(10_000),
  jpegQuality: z.int().min(1).max(100).default(80),
  /** Period of the `stats` message sent to every client. */
  statsIntervalMs: z.int().min(100).max(60_000).default(1000),
  /** Token bucket per client for the messages it sends. */
  rateLimit: z
    .strictObject({
      messagesPerSecond: z.number().positive().max(10_000).default(20),
      burst: z.int().positive().max(10_000).default(40),
    })
    .prefault({}),
}).refine((server) => !server.api.enabled || server.auth.token !== undefined || isLoopbackHost(server.host), {
  // Anyone who reaches the port could add sources (ffmpeg reads files and URLs) and remove them.
  message: 'the stream API needs server.auth.token when server.host is not a loopback address',
  path: ['api', 'enabled'],
});

export const modelSchema = z.strictObject({
  /** Folder with manifest.json and the ONNX files it names. */
  bundle: z.string().min(1).default('models/cifar10'),
  /** Editor name from the bundle's manifest ("cm", "dpm"), or "none" to classify the original only. */
  editor: z.string().min(1).default('cm'),
  /** Sampling steps; unset: the editor's own count from the bundle (cm 4, dpm 20). */
  steps: z.int().min(1).max(100).optional(),
  /** Tried in order; the first that loads wins (with a logged fallback). */
  providers: z.array(z.enum(EXECUTION_PROVIDERS)).min(1).default(['cuda', 'cpu']),
  ensemble: z.enum(ENSEMBLE_MODES).default('sum'),
  topK: z.int().min(1).max(100).default(5),
  /** The editor's noise: the seed the bundle pins (validated), or each stream's own. */
  editorNoise: z.enum(EDITOR_NOISE_SOURCES).default('bundle'),
  /** onnxruntime intra-op threads per session; unset: this machine's physical cores (onnxruntime's own default is half the logical CPUs). */
  intraOpThreads: z.int().min(1).max(256).optional(),
  /**
   * The largest batch a CPU model runs on a second, one-thread session of its own (small batches
   * are faster on one thread): a number (0: no second session), or 'auto', measured for each
   * model at start-up.
   */
  oneThreadMaxBatch: z.union([z.literal('auto'), z.int().min(0).max(256)]).default(2),
  /**
   * fp32, int8 (the bundle's int8 variant where it has one) or auto (int8 only on a CPU with int8
   * dot-product instructions, model by model, where a start-up check measured it faster).
   */
  precision: z.enum(PRECISIONS).default('fp32'),
  /**
   * The corruption gate (bundles with one): auto runs the editor only on corrupted frames (per
   * stream, smoothed: see gateSmoothing; per image in eval); off edits every frame and still reports
   * each stream's level, scored once every gateSmoothing.scoreEveryMs (every image in eval).
   */
  gate: z.enum(GATE_MODES).default('auto'),
  /** Score (0..1) from which a frame counts as corrupted; unset: the bundle's, chosen on validation. */
  gateThreshold: z.number().min(0).max(1).optional(),
});

export const batchingSchema = z.strictObject({
  maxBatch: z.int().min(1).max(1024).default(16),
  /** Longest a batch waits after its first frame before it is run anyway. */
  maxWaitMs: z.number().min(0).max(10_000).default(15),
  /**
   * Replay (`run`): longest a partial batch waits for more frames, also when frames are already
   * waiting. No latency is at stake, and on decode-bound footage fuller batches leave ffmpeg more CPU.
   */
  replayMaxWaitMs: z.number().min(0).max(10_000).default(100),
});

/** Exponential backoff with full jitter (src/stream/backoff.ts): the n-th wait is drawn from [0, min(max, initial * 2^(n-1))]. */
const backoffSchema = z
  .strictObject({
    initialDelayMs: z.int().min(10).max(600_000).default(500),
    maxDelayMs: z.int().min(10).max(600_000).default(30_000),
  })
  .refine((b) => b.initialDelayMs <= b.maxDelayMs, { message: 'must not exceed maxDelayMs', path: ['initialDelayMs'] });

/** Own messages for secrets, so that an error never echoes one. */
const secretSchema = z.string({ error: 'expected a string' }).min(1, 'must not be empty');

export const MQTT_SCHEMES = ['mqtt', 'mqtts', 'tcp', 'ssl', 'ws', 'wss'] as const;

const mqttUrlSchema = z
  .string()
  .min(1)
  .refine((url) => MQTT_SCHEMES.some((scheme) => url.startsWith(`${scheme}://`)) && URL.canParse(url), {
    message: `expected a broker URL: ${MQTT_SCHEMES.map((s) => `${s}://`).join(', ')} host[:port]`,
  });

/** No wildcards, no empty levels at either end: `home/cameras` is fine, `cams/#` or `/cams` are not. */
const topicPrefixSchema = z
  .string()
  .regex(/^[^/#+\s](?:[^#+\s]*[^/#+\s])?$/, 'expected a topic without "+", "#", spaces or a leading/trailing "/"');

export const mqttSinkSchema = z.strictObject({
  /** mqtt://host:1883, mqtts://host:8883 (TLS), ws(s)://host/mqtt. */
  url: mqttUrlSchema,
  topicPrefix: topicPrefixSchema.default('decorruptor'),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
  /** Retain the state, label and snapshot topics (`available` is always retained: it is the last will). */
  retain: z.boolean().default(true),
  username: z.string().min(1).optional(),
  /** Better from $DECORRUPTOR_MQTT_PASSWORD than in a file. */
  password: secretSchema.optional(),
  /** Default: decorruptor-<random>; a fixed one lets the broker keep a session. */
  clientId: z.string().min(1).max(128).optional(),
  /** The label topic is published on change, at most this often per stream; episode updates too. */
  labelMaxPerSecond: z.number().positive().max(100).default(2),
  /** Messages held while the broker is away; beyond it the oldest are dropped (counted in /metrics). */
  bufferSize: z.int().min(1).max(100_000).default(1000),
  /** Period of `<prefix>/stats`. */
  statsIntervalMs: z.int().min(100).max(3_600_000).default(10_000),
  /** Waits between reconnection attempts while the broker is unreachable. */
  reconnect: backoffSchema.prefault({}),
  /** How long one connection attempt may take. */
  connectTimeoutMs: z.int().min(100).max(600_000).default(10_000),
});

export const WEBHOOK_EVENTS = ['label-change', 'state'] as const;

const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  /** Names the hook in logs and metrics (`sink="webhook:<name>"`); default its position, 1-based. */
  name: sourceIdSchema.optional(),
  /** What is posted: the adapted label changed, and/or a stream's state changed. */
  on: z.array(z.enum(WEBHOOK_EVENTS)).min(1).default(['label-change']),
  /** Per stream: label-change posts at least this far apart (the latest label goes out when it ends). */
  cooldownSeconds: z.number().min(0).max(86_400).default(10),
  /** Sent with every request, e.g. {"Authorization": "Bearer ..."}. */
  headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name'), secretSchema).default({}),
  /** label-change posts are multipart/form-data: `payload` (the JSON) and `snapshot` (a JPEG of the edited frame). */
  includeSnapshot: z.boolean().default(false),
  /** One attempt's limit, response included. */
  timeoutMs: z.int().min(50).max(600_000).default(5000),
  /** Further attempts after a network error, a timeout, 408, 429 or 5xx (other 4xx are not retried). */
  retries: z.int().min(0).max(20).default(3),
  retryDelay: backoffSchema.prefault({ initialDelayMs: 1000, maxDelayMs: 30_000 }),
  /** Posts waiting while one is under way; beyond it the oldest are dropped (counted in /metrics). */
  queueSize: z.int().min(1).max(100_000).default(100),
});

/** Temporal label smoothing per stream (src/flow/smoothing): one scene, one label. */
export const smoothingSchema = z.strictObject({
  /** ema: exponential average with a half-life; window: mean of the last frames; off: raw labels. */
  mode: z.enum(SMOOTHING_MODES).default('ema'),
  halfLifeMs: z.number().positive().max(600_000).default(1000),
  window: z.int().min(1).max(1000).default(15),
  /** A new label must lead the current one's smoothed probability by this much. */
  margin: z.number().min(0).max(0.99).default(0.15),
  /** Mean grey-thumbnail change ([0, 1]) between consecutive frames that resets the average; 0: never. */
  sceneCut: z.number().min(0).max(1).default(0.12),
});

/** The labels burned into annotated frames; side-by-side puts the edited frame next to the original. */
const annotateLayoutSchema = z.enum(ANNOTATE_LAYOUTS).default('overlay');

const annotatedVideoSchema = z.strictObject({
  /** Output file, H.264 (.mp4, .mkv...); replaced if it exists. */
  path: z.string().min(1),
  layout: annotateLayoutSchema,
});

const recordingsSchema = z
  .strictObject({
    /** Folder of the segment files (created if missing). */
    dir: z.string().min(1),
    segmentSeconds: z.int().min(1).max(3600).default(60),
    /** Newest segments kept per stream. */
    retentionSegments: z.int().min(1).max(1_000_000).optional(),
    /** Segments older than this are deleted. */
    retentionHours: z.number().positive().max(100_000).optional(),
    /** Stream ids to record; "*": every stream, those added at run time too. */
    streams: z.union([z.literal('*'), z.array(sourceIdSchema).min(1)]).default('*'),
    layout: annotateLayoutSchema,
  })
  .refine((r) => r.retentionSegments !== undefined || r.retentionHours !== undefined, {
    message: 'set retentionSegments or retentionHours (or both): recordings must not fill the disk',
    path: ['retentionSegments'],
  });

/**
 * The corruption gate per stream in serve and run (src/flow/gating): the editor is switched on when
 * the stream's smoothed score reaches the threshold and off once it has stayed `hysteresis` below it
 * for `offDelayMs`; a discontinuity starts afresh. A camera's condition changes slowly: a stream does not flicker.
 */
export const gateSmoothingSchema = z.strictObject({
  /** Time for a frame's weight in the smoothed score to halve, in the stream's own time. */
  halfLifeMs: z.number().positive().max(600_000).default(200),
  /** How far below the threshold the smoothed score must fall to switch the editor off. */
  hysteresis: z.number().min(0).max(1).default(0.1),
  /**
   * How long (stream time) it must stay there before the editor switches off: a level that only
   * dips below keeps the editor on (an unneeded edit costs compute, a missing one accuracy).
   */
  offDelayMs: z.number().min(0).max(600_000).default(1500),
  /**
   * Once a stream's editor is decided and its smoothed score is clear of the hysteresis band, its
   * frames are scored at most once in this much stream time (0: every frame): the frames between
   * skip the gate model and carry the stream's level. Inside the band every frame is scored.
   */
  scoreEveryMs: z.number().min(0).max(60_000).default(100),
});

/** Motion gating per stream (src/flow/motion-gate.ts): still frames carry the last result instead of being inferred. */
export const motionGateSchema = z.strictObject({
  /** Unset: on in `serve` (live cameras), off in `run` (every frame of a replay inferred). */
  enabled: z.boolean().optional(),
  /** Mean grey-thumbnail change ([0, 1]) from the last inferred frame below which a frame reuses its result. */
  threshold: z.number().min(0).max(1).default(0.01),
  /** Longest a result is reused before a frame is inferred anyway. */
  maxAgeMs: z.int().min(100).max(3_600_000).default(5000),
});

/** Outputs beyond the dashboard server; each is one FrameSink, built by src/runtime/sinks.ts. */
export const sinksSchema = z
  .strictObject({
    /** One JSON line per processed frame ('-': stdout), the format `run --out` writes. */
    jsonl: z.strictObject({ path: z.string().min(1) }).optional(),
    /** Labels, episodes, snapshots, states and stats to an MQTT broker (docs/integrations.md). */
    mqtt: mqttSinkSchema.optional(),
    /** HTTP POSTs on label changes and state changes (docs/integrations.md). */
    webhooks: z.array(webhookSchema).optional(),
    /** One stream's frames with their labels burned in, as a video (`run --annotate`; docs/integrations.md). */
    annotatedVideo: annotatedVideoSchema.optional(),
    /** Rolling annotated segment files of chosen streams, with retention (docs/integrations.md). */
    recordings: recordingsSchema.optional(),
  })
  .superRefine((sinks, ctx) => {
    const seen = new Set<string>();
    sinks.webhooks?.forEach((hook, index) => {
      const name = hook.name ?? String(index + 1);
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['webhooks', index, 'name'], message: `duplicate webhook name "${name}"`, input: hook.name });
      seen.add(name);
    });
  });

export const dataSchema = z.strictObject({
  /** CIFAR-10 binary batches (data_batch_*.bin, test_batch.bin) for the demo source. */
  cifar10Dir: z.string().min(1).default('data/cifar-10-batches-bin'),
});

export const configSchema = z
  .strictObject({
    logLevel: z.enum(LOG_LEVELS).default('info'),
    server: serverSchema.prefault({}),
    model: modelSchema.prefault({}),
    batching: batchingSchema.prefault({}),
    data: dataSchema.prefault({}),
    smoothing: smoothingSchema.prefault({}),
    motionGate: motionGateSchema.prefault({}),
    gateSmoothing: gateSmoothingSchema.prefault({}),
    sinks: sinksSchema.prefault({}),
    /** The NATS JetStream broker of a scale-out deployment (ingest, worker, gateway roles). */
    cluster: clusterSchema.prefault({}),
    /** Video inputs; an empty list runs the built-in demo source (see `effectiveSources`). */
    sources: z.array(sourceSchema).default([]),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.sources.forEach((source, index) => {
      if (seen.has(source.id)) {
        ctx.addIssue({ code: 'custom', path: ['sources', index, 'id'], message: `duplicate source id "${source.id}"`, input: source.id });
      }
      seen.add(source.id);
    });
    // A region's stream must not take the id of another source ("cam" with region "door", and a source "cam.door").
    config.sources.forEach((source, index) => {
      source.regions?.forEach((region, r) => {
        const id = regionStreamId(source.id, region.id);
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path: ['sources', index, 'regions', r, 'id'], message: `region stream id "${id}" is also a source id`, input: region.id });
      });
    });
  });

/** The validated configuration, every default filled in and every source's mode derived. */
export type Config = z.output<typeof configSchema>;
/** What a config file, the environment or the CLI may give: everything optional. */
export type ConfigInput = z.input<typeof configSchema>;
export type SourceConfig = z.output<typeof sourceSchema>;
export type ServerConfig = z.output<typeof serverSchema>;
export type ModelConfig = z.output<typeof modelSchema>;
export type BatchingConfig = z.output<typeof batchingSchema>;
export type SinksConfig = z.output<typeof sinksSchema>;
export type SmoothingConfig = z.output<typeof smoothingSchema>;
export type GateSmoothingConfig = z.output<typeof gateSmoothingSchema>;
export type MqttSinkConfig = z.output<typeof mqttSinkSchema>;
export type WebhookConfig = z.output<typeof webhookSchema>;
export type BackoffConfig = z.output<typeof backoffSchema>;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The demo source that stands in when `sources` is empty. */
export const DEMO_SOURCE_ID = 'demo';

/** The sources to run: the configured ones, or the demo source when none are configured. */
export function effectiveSources(config: Config): SourceConfig[] {
  if (config.sources.length > 0) return config.sources;
  // The demo cycles the 15 corruption types (10 s each) so that adaptation has something to fix.
  return [sourceSchema.parse({ id: DEMO_SOURCE_ID, url: 'demo', corrupt: 'cycle:4' })];
}

/** JSON Schema of a config file (the input side: defaults shown, nothing required but source ids/urls). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  // The loader ignores a top-level "$schema" (an editor hint); say so, or editors flag it.
  const properties = schema['properties'] as Record<string, unknown>;
  schema['properties'] = { $schema: { type: 'string', description: 'editor hint, ignored' }, ...properties };
  schema['title'] = 'decorruptor configuration';
  return schema;
}
