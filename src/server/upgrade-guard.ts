/**
 * Who may open /ws. Checked on the HTTP upgrade, before any WebSocket exists.
 * - Origin: browsers send one; it must be the server's own origin (the dashboard it serves) or be
 *   listed in `allowedOrigins` (["*"] allows any). Without this, any web page the user visits
 *   could read the stream from a loopback server. Clients without an Origin (CLI tools) pass.
 * - Token: when configured, `?token=` (browsers cannot set headers on a WebSocket) or
 *   `Authorization: Bearer`. Compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface UpgradePolicy {
  token?: string | undefined;
  allowedOrigins?: readonly string[] | undefined;
}

export type UpgradeVerdict = { ok: true } | { ok: false; status: 401 | 403; code: 'UNAUTHORIZED' | 'ORIGIN_NOT_ALLOWED'; message: string };

export function checkUpgrade(req: IncomingMessage, url: URL, policy: UpgradePolicy): UpgradeVerdict {
  const origin = req.headers.origin;
  if (origin !== undefined && !originAllowed(origin, req.headers.host, policy.allowedOrigins)) {
    return { ok: false, status: 403, code: 'ORIGIN_NOT_ALLOWED', message: `origin ${origin} is not allowed` };
  }
  if (policy.token !== undefined && !tokenMatches(presentedToken(req, url), policy.token)) {
    return { ok: false, status: 401, code: 'UNAUTHORIZED', message: 'a valid token is required' };
  }
  return { ok: true };
}

export function originAllowed(origin: string, host: string | undefined, allowed: readonly string[] | undefined): boolean {
  const normalized = normalizeOrigin(origin);
  if (normalized === undefined) return false;
  // The server's own pages (its dashboard) are always welcome, whatever else is listed.
  if (host !== undefined && new URL(normalized).host === host.toLowerCase()) return true;
  return (allowed ?? []).some((entry) => entry === '*' || normalizeOrigin(entry) === normalized);
}

/** scheme://host[:port], lower-cased; undefined for what is not a URL or has an opaque origin ("null", file://). */
function normalizeOrigin(origin: string): string | undefined {
  try {
    const normalized = new URL(origin).origin.toLowerCase();
    return normalized === 'null' ? undefined : normalized;
  } catch {
    return undefined;
  }
}

function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  const bearer = header === undefined ? undefined : /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  return bearer ?? url.searchParams.get('token') ?? undefined;
}

function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  // Hashing first makes both sides the same length, as timingSafeEqual requires.
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
