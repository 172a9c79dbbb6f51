/**
 * fanOut: many sinks seen as one. Each call goes to every sink in list order, each inside its own
 * try/catch, so that a failing sink never stops the flow or starves the sinks after it.
 *
 *   const sink = fanOut([dashboardSink(server), jsonl], log);
 *   sink.frame(frame, inference);   // both get it, even if the first throws
 */
import type { Logger } from '../log/logger.js';
import type { FrameSink } from './types.js';

type SinkEvent = Exclude<keyof FrameSink, 'name' | 'close' | 'backpressure'>;

/** A sink that keeps failing is logged once every this many failures, not on every frame. */
const LOG_EVERY_N_FAILURES = 100;

export interface FannedOutSink extends Required<Omit<FrameSink, 'close' | 'backpressure'>> {
  /** Calls that threw, per sink name. */
  readonly failures: ReadonlyMap<string, number>;
}

export function fanOut(sinks: readonly FrameSink[], log: Logger): FannedOutSink {
  const failures = new Map<string, number>();
  const failed = (sink: FrameSink, event: string, error: unknown) => {
    const count = (failures.get(sink.name) ?? 0) + 1;
    failures.set(sink.name, count);
    if (count % LOG_EVERY_N_FAILURES === 1) {
      log.error(`sink ${sink.name} failed on ${event}; the other sinks carry on`, { error: (error as Error).message, failures: count });
    }
  };
  const each =
    <E extends SinkEvent>(event: E) =>
    (...args: Parameters<NonNullable<FrameSink[E]>>): void => {
      for (const sink of sinks) {
        const method = sink[event] as ((...a: typeof args) => void) | undefined;
        if (!method) continue;
        try {
          method.apply(sink, args);
        } catch (error) {
          failed(sink, event, error);
        }
      }
    };
  return {
    name: 'fan-out',
    frame: each('frame'),
    batch: each('batch'),
    dropped: each('dropped'),
    state: each('state'),
    failures,
  };
}

/** Closes every sink, all of them even when one fails; rejects with the first failure. */
export async function closeSinks(sinks: readonly FrameSink[]): Promise<void> {
  const results = await Promise.allSettled(sinks.map((sink) => sink.close?.()));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
