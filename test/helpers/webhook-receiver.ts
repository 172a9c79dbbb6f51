/**
 * A webhook receiver of the test's own: a local HTTP server that answers each POST as told, 200
 * (`ok`), 500 (`fail`), 400 (`refuse`) or never (`stall`: the request hangs until the client gives
 * up or the server closes), and records every request with its body, so tests wait on what arrives.
 */
import { EventEmitter } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { TestContext } from 'node:test';
import { waitOn } from './wait.js';

export type Answer = 'ok' | 'fail' | 'refuse' | 'stall';

export interface ReceivedPost {
  /** performance.now() when the whole body had arrived. */
  at: number;
  answer: Answer;
  contentType: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** True once the client gave up on a stalled request (closed the connection). */
  abandoned: boolean;
}

const STATUS: Record<Exclude<Answer, 'stall'>, number> = { ok: 200, fail: 500, refuse: 400 };

export class WebhookReceiver extends EventEmitter {
  readonly posts: ReceivedPost[] = [];
  /** How requests are answered once `script` is used up. */
  answer: Answer = 'ok';
  /** Answers for the next requests, in order. */
  script: Answer[] = [];
  url = '';

  static async start(t: TestContext): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    const stalled = new Set<ServerResponse>();
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const answer = receiver.script.shift() ?? receiver.answer;
        const post: ReceivedPost = { at: performance.now(), answer, contentType: req.headers['content-type'] ?? '', headers: req.headers, body: Buffer.concat(chunks), abandoned: false };
        receiver.posts.push(post);
        if (answer === 'stall') {
          stalled.add(res);
          res.on('close', () => {
            post.abandoned = true;
            stalled.delete(res);
            receiver.emit('abandoned');
          });
        } else {
          res.writeHead(STATUS[answer]).end();
        }
        receiver.emit('post');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    t.after(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    return receiver;
  }

  /** JSON bodies (the `payload` field of a multipart post), in arrival order. */
  async payloads(): Promise<Array<Record<string, unknown>>> {
    return Promise.all(this.posts.map(async (post) => {
      if (!post.contentType.startsWith('multipart/form-data')) return JSON.parse(post.body.toString('utf8')) as Record<string, unknown>;
      const form = await new Response(new Uint8Array(post.body), { headers: { 'content-type': post.contentType } }).formData();
      return JSON.parse(await (form.get('payload') as Blob).text()) as Record<string, unknown>;
    }));
  }

  waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
    return waitOn(check, [[this, 'post'], [this, 'abandoned']], { what, timeoutMs, detail: () => `${this.posts.length} posts: ${this.posts.map((p) => p.answer).join(', ')}` });
  }
}
