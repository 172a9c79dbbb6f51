/**
 * Which workers are alive, for the gateway's /readyz and its dashboards' model line: each worker
 * publishes a heartbeat (core NATS, every `HEARTBEAT_MS`) with its model facts; the gateway counts
 * a worker alive while its heartbeats keep coming. A worker stopped cleanly says goodbye; one that
 * was killed is forgotten after three missed beats.
 */
import type { Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import type { BrokerConnection } from './connection.js';
import { SUBJECTS } from './subjects.js';

export const HEARTBEAT_MS = 2000;
const FORGET_AFTER_MS = 3 * HEARTBEAT_MS;

const heartbeatSchema = z.object({
  worker: z.string().min(1),
  /** The engine's facts: bundle name, editor, steps, provider, labels... */
  model: z.record(z.string(), z.unknown()),
  leaving: z.boolean().optional(),
});

export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** The worker's side. @returns stop(): says goodbye. */
export function startHeartbeat(broker: BrokerConnection, worker: string, model: Record<string, unknown>): () => void {
  const beat = (leaving = false) => {
    if (broker.connected) broker.nc.publish(SUBJECTS.workerHeartbeat(worker), JSON.stringify({ worker, model, ...(leaving ? { leaving } : {}) }));
  };
  beat();
  const timer = setInterval(() => beat(), HEARTBEAT_MS).unref();
  return () => {
    clearInterval(timer);
    beat(true);
  };
}

/** The gateway's side: the workers heard from lately. */
export class WorkerRoster {
  readonly #seen = new Map<string, { at: number; model: Record<string, unknown> }>();
  readonly #subscription: Subscription;
  readonly #onFirst: (model: Record<string, unknown>) => void;
  #announced = false;

  /** `onFirst`: the first worker's model (labels and all), once. */
  constructor(broker: BrokerConnection, onFirst: (model: Record<string, unknown>) => void) {
    this.#onFirst = onFirst;
    this.#subscription = broker.nc.subscribe(SUBJECTS.allWorkerHeartbeats, {
      callback: (error, msg) => {
        if (error) return;
        const parsed = heartbeatSchema.safeParse(safeJson(msg.data));
        if (parsed.success) this.#heard(parsed.data);
      },
    });
  }

  /** Workers whose last heartbeat is recent. */
  alive(now = Date.now()): number {
    let n = 0;
    for (const { at } of this.#seen.values()) if (now - at < FORGET_AFTER_MS) n++;
    return n;
  }

  close(): void {
    this.#subscription.unsubscribe();
  }

  #heard({ worker, model, leaving }: Heartbeat): void {
    if (leaving) {
      this.#seen.delete(worker);
      return;
    }
    this.#seen.set(worker, { at: Date.now(), model });
    if (!this.#announced) {
      this.#announced = true;
      this.#onFirst(model);
    }
  }
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}
