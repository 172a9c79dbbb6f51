/**
 * Plain HTTP: probes, metrics and the dashboard's files.
 *   GET /healthz  200 while the process serves requests (liveness)
 *   GET /readyz   200 when models are loaded and a source runs, else 503 with the reason (readiness)
 *   GET /metrics  Prometheus text format
 *   /api/...      the stream API (stream-api.ts), when enabled
 *   GET /*        dashboard files
 * Probes and metrics need no token: orchestrators and scrapers call them, and they reveal no frames.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceMetrics } from './metrics.js';
import type { StaticFiles } from './static-files.js';
import type { Logger } from '../log/logger.js';

/** Why /readyz says 503. BROKER_UNAVAILABLE and NO_WORKER: a gateway's broker is away, or no worker answers. */
export interface NotReady {
  reason: 'MODEL_NOT_LOADED' | 'NO_SOURCE_RUNNING' | 'SHUTTING_DOWN' | 'BROKER_UNAVAILABLE' | 'NO_WORKER';
  message: string;
}

export type Readiness = { ready: true; runningStreams: number } | ({ ready: false } & NotReady);

export interface RouteDeps {
  staticFiles: StaticFiles;
  metrics: ServiceMetrics;
  readiness(): Readiness;
  log: Logger;
  /** The stream API (stream-api.ts): every /api/... request, whatever its method. */
  api?: (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void>;
}

export function createRequestHandler(deps: RouteDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(deps, req, res).catch((error: unknown) => {
      deps.log.error('request failed', { url: req.url, error: (error as Error).message });
      if (!res.headersSent) sendJson(res, 500, { error: 'INTERNAL', message: 'internal error' });
      else res.destroy();
    });
  };
}

async function route(deps: RouteDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const pathname = rawPathname(req.url ?? '/');
  if (deps.api && (pathname === '/api' || pathname.startsWith('/api/'))) return deps.api(req, res, pathname);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return sendJson(res, 405, { error: 'METHOD_NOT_ALLOWED' });
  }

  switch (pathname) {
    case '/healthz':
      return sendJson(res, 200, { status: 'ok' });
    case '/readyz': {
      const readiness = deps.readiness();
      return sendJson(res, readiness.ready ? 200 : 503, readiness);
    }
    case '/metrics': {
      const { contentType, body } = await deps.metrics.exposition();
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
  }

  const result = await deps.staticFiles.serve(req, res, pathname);
  if (result === 'bad-path') return sendJson(res, 400, { error: 'BAD_PATH' });
  if (result === 'not-found') return sendJson(res, 404, { error: 'NOT_FOUND' });
}

/** The request path without query or fragment, still percent-encoded and NOT normalised (the static file check wants to see `..`). */
function rawPathname(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}
