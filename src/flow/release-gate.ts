/**
 * Backpressure from the sinks to a replayed source. The flow releases a replayed frame once it is
 * processed, and the source reads on while fewer than its window are unreleased; a sink that
 * writes every frame (an annotated video) may be slower than the model. Wrapped here, the source
 * gets its releases only while every such sink can take more, so ffmpeg's decode waits for the
 * encoder instead of frames piling up in memory.
 *
 *   const gated = { ...stream, source: gateReleases(stream.source, () => sinksBusy(sinks)) };
 */
import type { FrameSink } from '../sinks/index.js';
import type { FlowSource } from './frame-flow.js';

/** Undefined when every sink can take more; else a promise that resolves once they all can. */
export function sinksBusy(sinks: readonly FrameSink[]): Promise<void> | undefined {
  const waits = sinks.map((sink) => sink.backpressure?.()).filter((wait) => wait !== undefined);
  return waits.length === 0 ? undefined : Promise.all(waits).then(() => {});
}

/** `source`, with each release held back while `busy()` returns a promise, and passed on once it resolves. */
export function gateReleases(source: FlowSource, busy: () => Promise<void> | undefined): FlowSource {
  let held = 0;
  let waiting = false;
  const pass = (): void => {
    if (waiting || held === 0) return;
    const wait = busy();
    if (wait === undefined) {
      const count = held;
      held = 0;
      source.release(count);
      return;
    }
    waiting = true;
    const resume = () => {
      waiting = false;
      pass();
    };
    // A sink whose wait fails must not hold the source back for ever.
    void wait.then(resume, resume);
  };
  return {
    id: source.id,
    mode: source.mode,
    frames$: source.frames$,
    states$: source.states$,
    start: () => source.start(),
    stop: () => source.stop(),
    release: (count = 1) => {
      held += count;
      pass();
    },
  };
}
