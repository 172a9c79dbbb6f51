/**
 * A request to replace a stream's regions of interest (`set-regions` on /ws): through the
 * pipeline's handler, then every client is told. The registry learns the new regions before the
 * pipeline starts their streams, so that their first states and frames are expected; a refusal
 * puts the old ones back.
 */
import type { Region } from '../config/regions.js';
import type { ClientErrorCode, ServerMessage } from './protocol.js';
import type { StreamRegistry } from './stream-registry.js';
import type { ServerHandlers } from './types.js';

export interface RegionsRefusal {
  code: Extract<ClientErrorCode, 'UNSUPPORTED' | 'UNKNOWN_STREAM' | 'REJECTED'>;
  message: string;
}

export interface RegionsRequestDeps {
  handler: ServerHandlers['setRegions'];
  streams: StreamRegistry;
  broadcast(message: ServerMessage): void;
  /** The stream list changed: every client gets a fresh hello. */
  announceStreams(): void;
}

export async function applyRegions(deps: RegionsRequestDeps, streamId: string, regions: Region[]): Promise<RegionsRefusal | undefined> {
  const { handler, streams } = deps;
  if (handler === undefined) return { code: 'UNSUPPORTED', message: 'this server does not change regions' };
  if (!streams.has(streamId)) return { code: 'UNKNOWN_STREAM', message: `no stream "${streamId}"` };
  const previous = streams.regions(streamId);
  streams.setRegions(streamId, regions);
  try {
    await handler(streamId, regions);
  } catch (error) {
    streams.setRegions(streamId, previous);
    return { code: 'REJECTED', message: (error as Error).message ?? String(error) };
  }
  deps.broadcast({ type: 'regions', streamId, regions });
  deps.announceStreams();
  return undefined;
}
