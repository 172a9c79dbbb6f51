/** Shapes the server shares with the code that drives it (the pipeline and the CLI). */
import type { Region } from '../config/regions.js';
import type { SourceConfig } from '../config/schema.js';

/**
 * Lifecycle of a source as the dashboard shows it.
 * starting -> running -> (reconnecting -> running)* -> ended (a replayed file finished) | error (gave up).
 */
export type StreamState = 'starting' | 'running' | 'reconnecting' | 'ended' | 'error';
export const STREAM_STATES: readonly StreamState[] = ['starting', 'running', 'reconnecting', 'ended', 'error'];

export interface StreamStateUpdate {
  state: StreamState;
  /** Stable code of the problem, for programs, when `state` is `error` (e.g. SOURCE_UNREADABLE). */
  code?: string;
  /** Why, for people: e.g. the last line of ffmpeg's stderr. */
  message?: string;
  /** Restart attempt number while reconnecting (1 for the first retry). */
  attempt?: number;
}

export interface StreamDescriptor {
  id: string;
  /** Source URL; credentials are redacted before it leaves the server. */
  url?: string;
  /** Synthetic corruption setting of a test feed ('fog:4', 'cycle:4'; null: clean). Omitted: not known. */
  corruption?: string | null;
  /** Regions of interest (each a stream `<id>.<region id>`). Omitted: the stream takes none. */
  regions?: readonly Region[];
}

/** Facts about the running model, sent to each client in `hello`. */
export interface ServerInfo {
  /** Application version. */
  version: string;
  /** Class names, index order. */
  labels: string[];
  /** Free-form model facts: bundle name, editor, steps, provider... */
  model: Record<string, unknown>;
  /** Corruption specs the dashboard may offer in its per-stream picker (needs a setCorruption handler). */
  corruptions?: string[];
}

/** Hooks for client requests that only the pipeline can carry out. */
export interface ServerHandlers {
  /**
   * A client asked to change the synthetic corruption of a stream (null: none). Throw to refuse:
   * the client gets an error with code REJECTED and the thrown error's message.
   */
  setCorruption?(streamId: string, corruption: string | null): void | Promise<void>;
  /**
   * A client replaced a stream's regions of interest (validated; [] removes them); resolves once
   * the regions' streams run. Throw to refuse (REJECTED, with the thrown error's message).
   */
  setRegions?(streamId: string, regions: Region[]): void | Promise<void>;
  /**
   * The stream API adds a source (validated by the config's source schema); resolves once it is
   * open and started. Throw a StreamApiRefusal (STREAM_EXISTS) for an id in use; any other error's
   * own `code` (SOURCE_UNREADABLE, CORRUPTION_INVALID...) reaches the caller.
   */
  addStream?(source: SourceConfig): Promise<void>;
  /** The stream API removes a stream; resolves once its ffmpeg has exited. False: no such stream. */
  removeStream?(streamId: string): Promise<boolean>;
}
