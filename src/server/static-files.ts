/**
 * Serves the dashboard's files from one folder, as they are. Only plain files inside the folder
 * are served: `..` segments, encoded separators, NUL bytes and symlinks that lead outside are
 * refused, and anything with an unknown extension is not served at all.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

/** Same-origin only: the page's script, style, images (blob: for frames) and socket. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' blob: data:; connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export type StaticResult = 'served' | 'not-found' | 'bad-path';

export class StaticFiles {
  readonly #root: string;

  private constructor(root: string) {
    this.#root = root;
  }

  /** `root` must exist; its real path is the fence every request is checked against. */
  static async create(root: string): Promise<StaticFiles> {
    return new StaticFiles(await realpath(root));
  }

  get root(): string {
    return this.#root;
  }

  /** Serves `pathname` (as it came in the request, still percent-encoded). */
  async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<StaticResult> {
    const relative = toRelativePath(pathname);
    if (relative === undefined) return 'bad-path';
    const contentType = CONTENT_TYPES[path.extname(relative).toLowerCase()];
    if (contentType === undefined) return 'not-found';

    let file: string;
    let size: number;
    try {
      file = await realpath(path.join(this.#root, relative));
      const info = await stat(file);
      if (!info.isFile()) return 'not-found';
      size = info.size;
    } catch {
      return 'not-found';
    }
    if (!isInside(this.#root, file)) return 'not-found';

    res.writeHead(200, {
      'content-type': contentType,
      'content-length': size,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      ...(contentType.startsWith('text/html') ? { 'content-security-policy': CONTENT_SECURITY_POLICY } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return 'served';
    }
    await new Promise<void>((resolve) => {
      const stream = createReadStream(file);
      stream.on('error', () => {
        res.destroy();
        resolve();
      });
      stream.on('end', resolve);
      stream.pipe(res);
    });
    return 'served';
  }
}

/** `/a/b.css` -> `a/b.css`; `/` and folders -> their index.html; undefined for anything suspicious. */
export function toRelativePath(pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) return undefined;
  if (decoded.endsWith('/') || segments.length === 0) segments.push('index.html');
  return segments.join('/');
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}
