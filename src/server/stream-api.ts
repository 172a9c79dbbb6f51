/**
 * The stream API (docs/api.md): streams added, removed and changed while `serve` runs.
 *   GET    /api/streams                  200 {streams: [StreamSummary]}
 *   GET    /api/streams/:id              200 {stream: StreamSummary}
 *   POST   /api/streams                  201 {stream}          body: a source, as in the config's `sources`
 *   DELETE /api/streams/:id              200 {removed: id}     once its ffmpeg has exited
 *   PUT    /api/streams/:id/corruption   200 {streamId, corruption}   body: {corruption: spec | null}
 * Every error is {error: {code, message, fields?}} with a stable code (API_ERROR_STATUS).
 *
 * Who may call it: the /ws rules (upgrade-guard.ts: the token, browser origins), and with no token
 * configured (allowed on a loopback host only, see the config) the Host header must name a
 * loopback address too, so that a web page cannot reach it through DNS rebinding. Bodies must be
 * JSON (a browser cannot send that cross-site without a preflight, which is never granted).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { isLoopbackHost } from '../config/hosts.js';
import { sourceSchema, type ServerConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { CorruptionRefusal } from './client-hub.js';
import { sendJson } from './http-routes.js';
import { redactUrlsInText } from './redact.js';
import type { StreamRegistry } from './stream-registry.js';
import type { ServerHandlers } from './types.js';
import { checkUpgrade } from './upgrade-guard.js';

/** HTTP status of each error code. */
export const API_ERROR_STATUS = {
  BAD_JSON: 400,
  INVALID_BODY: 400,
  BAD_PATH: 400,
  SOURCE_INVALID: 400,
  CORRUPTION_INVALID: 400,
  UNAUTHORIZED: 401,
  ORIGIN_NOT_ALLOWED: 403,
  HOST_NOT_ALLOWED: 403,
  API_DISABLED: 404,
  NOT_FOUND: 404,
  UNKNOWN_STREAM: 404,
  METHOD_NOT_ALLOWED: 405,
  STREAM_EXISTS: 409,
  REJECTED: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SOURCE_UNREADABLE: 422,
  SOURCE_FAILED: 422,
  SOURCE_OPEN_FAILED: 422,
  INTERNAL: 500,
  UNSUPPORTED: 501,
  FFMPEG_UNAVAILABLE: 503,
  NOT_READY: 503,
  SHUTTING_DOWN: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_STATUS;

export interface FieldError {
  /** Dotted path in the body, e.g. "url" or "restart.maxDelayMs". */
  path: string;
  message: string;
}

/** What the role's handlers throw to refuse a request, by code. */
export class StreamApiRefusal extends Error {
  readonly code: 'STREAM_EXISTS' | 'UNKNOWN_STREAM';

  constructor(code: StreamApiRefusal['code'], message: string) {
    super(message);
    this.name = 'StreamApiRefusal';
    this.code = code;
  }
}

class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly fields?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface StreamApiDeps {
  server: Pick<ServerConfig, 'host' | 'auth' | 'allowedOrigins' | 'api'>;
  streams: StreamRegistry;
  handlers: ServerHandlers;
  applyCorruption(streamId: string, corruption: string | null): Promise<CorruptionRefusal | undefined>;
  closing(): boolean;
  log: Logger;
}

const corruptionBodySchema = z.strictObject({ corruption: z.string().min(1).max(200).nullable() });

/** Field errors listed in a reply; more are counted in the message. */
const MAX_LISTED_FIELDS = 20;

/** The handler of every /api/... request. */
export function createStreamApi(deps: StreamApiDeps): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void> {
  return async (req, res, pathname) => {
    try {
      admit(deps, req);
      await route(deps, req, res, pathname);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : fromHandlerError(error);
      if (apiError.code === 'INTERNAL') deps.log.error('stream API request failed', { method: req.method, url: pathname, error: (error as Error).message });
      else deps.log.info('stream API refused a request', { method: req.method, url: pathname, code: apiError.code });
      for (const [name, value] of Object.entries(apiError.headers)) res.setHeader(name, value);
      const body = { code: apiError.code, message: apiError.message, ...(apiError.fields ? { fields: apiError.fields } : {}) };
      sendJson(res, API_ERROR_STATUS[apiError.code], { error: body });
    }
  };
}

function admit(deps: StreamApiDeps, req: IncomingMessage): void {
  const { api, auth, allowedOrigins } = deps.server;
  if (!api.enabled) throw new ApiError('API_DISABLED', 'the stream API is off (server.api.enabled)');
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const verdict = checkUpgrade(req, url, { token: auth.token, allowedOrigins });
  if (!verdict.ok) {
    const headers: Record<string, string> = verdict.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
    throw new ApiError(verdict.code, verdict.message, undefined, headers);
  }
  if (auth.token === undefined && !isLoopbackHost(hostName(req.headers.host))) {
    throw new ApiError('HOST_NOT_ALLOWED', 'without server.auth.token the stream API answers requests addressed to a loopback host only');
  }
  if (deps.closing()) throw new ApiError('SHUTTING_DOWN', 'the server is shutting down');
}

async function route(deps: StreamApiDeps, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  const parts = pathname.split('/').slice(1); // ['api', 'streams', id?, 'corruption'?]
  if (parts[1] !== 'streams' || parts.length > 4 || (parts.length === 4 && parts[3] !== 'corruption')) {
    throw new ApiError('NOT_FOUND', `no such API route: ${pathname.slice(0, 100)}`);
  }
  const id = parts[2] === undefined || parts[2] === '' ? undefined : decodeSegment(parts[2]);
  const method = req.method ?? 'GET';

  if (id === undefined) {
    if (method === 'GET') return sendJson(res, 200, { streams: deps.streams.summaries() });
    if (method === 'POST') return addStream(deps, req, res);
    throw methodNotAllowed('GET, POST');
  }
  if (parts.length === 4) {
    if (method !== 'PUT') throw methodNotAllowed('PUT');
    return setCorruption(deps, req, res, id);
  }
  if (method === 'GET') return sendJson(res, 200, { stream: summaryOf(deps, id) });
  if (method === 'DELETE') return removeStream(deps, res, id);
  throw methodNotAllowed('GET, DELETE');
}

async function addStream(deps: StreamApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const handler = deps.handlers.addStream;
  if (handler === undefined) throw new ApiError('UNSUPPORTED', 'this server cannot add streams');
  const parsed = sourceSchema.safeParse(await readJson(req, deps.server.api.maxBodyBytes));
  if (!parsed.success) throw invalidBody('the body is not a valid source', parsed.error);
  await handler(parsed.data);
  res.setHeader('location', `/api/streams/${encodeURIComponent(parsed.data.id)}`);
  sendJson(res, 201, { stream: summaryOf(deps, parsed.data.id) });
}

async function removeStream(deps: StreamApiDeps, res: ServerResponse, id: string): Promise<void> {
  const handler = deps.handlers.removeStream;
  if (handler === undefined) throw new ApiError('UNSUPPORTED', 'this server cannot remove streams');
  if (!(await handler(id))) throw unknownStream(id);
  sendJson(res, 200, { removed: id });
}

async function setCorruption(deps: StreamApiDeps, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  const parsed = corruptionBodySchema.safeParse(await readJson(req, deps.server.api.maxBodyBytes));
  if (!parsed.success) throw invalidBody('expected {"corruption": "<spec>" | null}', parsed.error);
  const { corruption } = parsed.data;
  const refusal = await deps.applyCorruption(id, corruption);
  if (refusal?.code === 'UNKNOWN_STREAM') throw unknownStream(id);
  if (refusal?.code === 'REJECTED' && (refusal.cause as { code?: unknown } | undefined)?.code === 'CORRUPTION_INVALID') {
    throw new ApiError('CORRUPTION_INVALID', refusal.message, [{ path: 'corruption', message: refusal.message }]);
  }
  if (refusal) throw new ApiError(refusal.code, refusal.message);
  sendJson(res, 200, { streamId: id, corruption });
}

function summaryOf(deps: StreamApiDeps, id: string) {
  const summary = deps.streams.summaries().find((s) => s.id === id);
  if (summary === undefined) throw unknownStream(id);
  return summary;
}

/** The request body as JSON: Content-Type application/json, at most `limit` bytes. */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'send the body as Content-Type: application/json');
  // The rest is not read: the connection closes once the reply is out.
  const tooLarge = () =>
    new ApiError('BODY_TOO_LARGE', `the body is larger than ${limit} bytes (server.api.maxBodyBytes)`, undefined, { connection: 'close' });
  if (Number(req.headers['content-length'] ?? 0) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ApiError('BAD_JSON', 'the body is not valid JSON');
  }
}

function invalidBody(what: string, error: z.ZodError): ApiError {
  const fields = error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
  const listed = fields.slice(0, MAX_LISTED_FIELDS);
  const summary = listed.map((f) => `${f.path}: ${f.message}`).join('; ');
  const more = fields.length > listed.length ? ` (and ${fields.length - listed.length} more)` : '';
  return new ApiError('INVALID_BODY', `${what}: ${summary}${more}`, listed);
}

/** An error the role's handler threw, by its own code; one without a known code is INTERNAL. */
function fromHandlerError(error: unknown): ApiError {
  const code = (error as { code?: unknown } | null)?.code;
  // First line only (ffmpeg's stderr follows), with any credentials in URLs masked.
  const message = redactUrlsInText(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  if (typeof code === 'string' && code in API_ERROR_STATUS) return new ApiError(code as ApiErrorCode, message);
  return new ApiError('INTERNAL', 'internal error');
}

const unknownStream = (id: string) => new ApiError('UNKNOWN_STREAM', `no stream "${id.slice(0, 64)}"`);

const methodNotAllowed = (allow: string) => new ApiError('METHOD_NOT_ALLOWED', `allowed here: ${allow}`, undefined, { allow });

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError('BAD_PATH', 'the stream id in the path is not valid percent-encoding');
  }
}

/** The host name of a Host header ("127.0.0.1:8080", "[::1]:8080"); '' when there is none. */
function hostName(host: string | undefined): string {
  if (host === undefined) return '';
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return '';
  }
}
