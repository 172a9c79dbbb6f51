/**
 * Stream states across machines: each ingest writes the state of the streams it owns into a KV
 * bucket (key: stream id; file storage, so it survives a broker restart), and gateways watch it to
 * tell their dashboards what the all-in-one server learns from its sources directly. A state that
 * could not be written while the broker was away is written again once it is back.
 */
import { StorageType } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import { STREAM_STATES, type StreamDescriptor, type StreamStateUpdate } from '../server/types.js';
import type { BrokerConnection } from './connection.js';
import { STREAM_STATES_BUCKET } from './subjects.js';

const recordSchema = z.object({
  id: z.string().min(1),
  /** Redacted by the ingest before it leaves it. */
  url: z.string().optional(),
  corruption: z.string().nullable().optional(),
  ingest: z.string().min(1),
  state: z.enum(STREAM_STATES as [string, ...string[]]),
  code: z.string().optional(),
  message: z.string().optional(),
  attempt: z.number().optional(),
  at: z.number(),
});

export type StreamStateRecord = StreamDescriptor & StreamStateUpdate & { ingest: string; at: number };

export function openStateBucket(broker: BrokerConnection): Promise<KV> {
  return new Kvm(broker.js).create(STREAM_STATES_BUCKET, { history: 1, storage: StorageType.File });
}

/** The ingest's side: the latest record of each of its streams, written now and again after a reconnect. */
export class StreamStateBoard {
  readonly #broker: BrokerConnection;
  readonly #log: Logger;
  readonly #latest = new Map<string, StreamStateRecord>();
  #kv: Promise<KV> | undefined;

  constructor(broker: BrokerConnection, log: Logger) {
    this.#broker = broker;
    this.#log = log;
    broker.onReconnect(() => this.#rewriteAll());
  }

  put(record: StreamStateRecord): void {
    this.#latest.set(record.id, record);
    void this.#write(record);
  }

  /** Takes a stream off the board (its ingest stopped it). */
  async remove(id: string): Promise<void> {
    this.#latest.delete(id);
    try {
      await (await this.#bucket()).delete(id);
    } catch (error) {
      this.#log.debug('broker: stream state not removed', { stream: id, error: (error as Error).message });
    }
  }

  get(id: string): StreamStateRecord | undefined {
    return this.#latest.get(id);
  }

  #bucket(): Promise<KV> {
    this.#kv ??= openStateBucket(this.#broker).catch((error: unknown) => {
      this.#kv = undefined;
      throw error;
    });
    return this.#kv;
  }

  async #write(record: StreamStateRecord): Promise<void> {
    try {
      await (await this.#bucket()).put(record.id, JSON.stringify(record));
    } catch (error) {
      // Written again on reconnect (the latest record of each stream is kept).
      this.#log.debug('broker: stream state not written yet', { stream: record.id, error: (error as Error).message });
    }
  }

  #rewriteAll(): void {
    for (const record of this.#latest.values()) void this.#write(record);
  }
}

export interface StateWatchHandlers {
  update(record: StreamStateRecord): void;
  remove(id: string): void;
}

/**
 * The gateway's side: every record now on the board, then every change. The watch is started again
 * after a reconnect (and whenever it ends), so a broker restart does not leave the gateway deaf.
 * @returns stop()
 */
export function watchStreamStates(broker: BrokerConnection, handlers: StateWatchHandlers, log: Logger): () => void {
  let stopped = false;
  let current: { stop(): void } | undefined;
  let retry: NodeJS.Timeout | undefined;
  const restart = () => {
    current?.stop();
    clearTimeout(retry);
    if (!stopped) void watch();
  };
  const watch = async () => {
    try {
      const kv = await openStateBucket(broker);
      const entries = await kv.watch();
      current = entries;
      for await (const entry of entries) {
        if (entry.operation !== 'PUT') {
          handlers.remove(entry.key);
          continue;
        }
        const parsed = recordSchema.safeParse(entry.json());
        if (parsed.success) handlers.update(parsed.data as StreamStateRecord);
        else log.warn('broker: a stream state record is malformed; ignored', { key: entry.key, error: parsed.error.issues[0]?.message });
      }
    } catch (error) {
      log.debug('broker: stream state watch failed; retrying', { error: (error as Error).message });
      if (!stopped) retry = setTimeout(restart, 1000);
    }
  };
  const offReconnect = broker.onReconnect(restart);
  void watch();
  return () => {
    stopped = true;
    offReconnect();
    clearTimeout(retry);
    current?.stop();
  };
}
