/**
 * Hostile input for the WebSocket server: a seeded generator of random and malformed messages,
 * and raw-TCP sessions that break the WebSocket framing itself. Seeded, so a failure replays.
 */
import { connect } from 'node:net';

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type FuzzKind =
  | 'random-text-bytes'
  | 'random-binary'
  | 'random-json'
  | 'truncated-json'
  | 'wrong-fields'
  | 'unknown-type'
  | 'deep-nesting'
  | 'oversize'
  | 'valid';

export interface FuzzMessage {
  kind: FuzzKind;
  data: string | Buffer;
  binary: boolean;
}

const KNOWN_TYPES = ['subscribe', 'pause', 'ping', 'set-corruption'];

export class MessageFuzzer {
  readonly #random: () => number;
  readonly #maxPayload: number;

  constructor(seed: number, maxPayloadBytes: number) {
    this.#random = seededRandom(seed);
    this.#maxPayload = maxPayloadBytes;
  }

  /** One message of a random kind (weights favour the shapes a parser can get wrong). */
  next(): FuzzMessage {
    const roll = this.#random();
    // Random bytes as text are nearly always invalid UTF-8 (the server closes with 1007): rare,
    // so that connections live long enough to receive the other kinds.
    if (roll < 0.03) return { kind: 'random-text-bytes', data: this.#bytes(1 + this.#int(200)), binary: false };
    if (roll < 0.13) return { kind: 'random-binary', data: this.#bytes(1 + this.#int(2000)), binary: true };
    if (roll < 0.35) return { kind: 'random-json', data: JSON.stringify(this.#value(4)), binary: false };
    if (roll < 0.45) {
      const text = JSON.stringify({ type: this.#pick(KNOWN_TYPES), x: this.#value(3) });
      return { kind: 'truncated-json', data: text.slice(0, Math.max(1, this.#int(text.length))), binary: false };
    }
    if (roll < 0.65) return { kind: 'wrong-fields', data: JSON.stringify(this.#wrongFields()), binary: false };
    if (roll < 0.75) return { kind: 'unknown-type', data: JSON.stringify({ type: this.#string(1 + this.#int(3000)), streams: '*' }), binary: false };
    if (roll < 0.8) {
      const depth = 100 + this.#int(Math.floor(this.#maxPayload / 2) - 200);
      return { kind: 'deep-nesting', data: `{"type":"subscribe","streams":${'['.repeat(depth)}${']'.repeat(depth)}}`, binary: false };
    }
    if (roll < 0.82) return { kind: 'oversize', data: JSON.stringify({ type: 'ping', id: 'x'.repeat(this.#maxPayload + 1 + this.#int(1000)) }), binary: false };
    return { kind: 'valid', data: JSON.stringify(this.#valid()), binary: false };
  }

  #wrongFields(): Record<string, unknown> {
    switch (this.#pick(KNOWN_TYPES)) {
      case 'subscribe':
        return { type: 'subscribe', streams: this.#pick([42, null, 'all', { a: 1 }, [1, 2], ['x'.repeat(65)], Array(300).fill('cam')]) };
      case 'pause':
        return { type: 'pause', paused: this.#pick(['yes', 1, null, [], {}]) };
      case 'ping':
        return { type: 'ping', id: this.#pick([{ nested: true }, [1], 'x'.repeat(129), true]) };
      default:
        return { type: 'set-corruption', streamId: this.#pick(['cam', 'ghost', '', 7]), corruption: this.#pick(['fog:4', 'lava:9', 5, '', null]) };
    }
  }

  #valid(): Record<string, unknown> {
    switch (this.#pick(KNOWN_TYPES)) {
      case 'subscribe':
        return { type: 'subscribe', streams: this.#pick(['*', ['cam'], [], ['file', 'unknown-yet']]) };
      case 'pause':
        return { type: 'pause', paused: this.#random() < 0.3 };
      case 'ping':
        return { type: 'ping', id: this.#int(1e6) };
      default:
        return { type: 'set-corruption', streamId: this.#pick(['cam', 'ghost']), corruption: this.#pick(['fog:4', null, 'lava:9']) };
    }
  }

  /** A random JSON value: nested objects and arrays of strings, numbers, booleans and nulls. */
  #value(depth: number): unknown {
    const roll = this.#random();
    if (depth <= 0 || roll < 0.4) return this.#pick([null, true, false, this.#int(1e9) - 5e8, this.#random() * 1e6, this.#string(this.#int(40))]);
    if (roll < 0.7) return Array.from({ length: this.#int(6) }, () => this.#value(depth - 1));
    const object: Record<string, unknown> = {};
    for (let i = this.#int(6); i > 0; i--) object[this.#pick(['type', 'streams', 'paused', 'id', this.#string(8)])] = this.#value(depth - 1);
    return object;
  }

  #string(length: number): string {
    let text = '';
    for (let i = 0; i < length; i++) text += String.fromCharCode(this.#random() < 0.9 ? 32 + this.#int(95) : 0x80 + this.#int(0x7f00));
    return text;
  }

  #bytes(length: number): Buffer {
    const buffer = Buffer.alloc(length);
    for (let i = 0; i < length; i++) buffer[i] = this.#int(256);
    return buffer;
  }

  #int(below: number): number {
    return Math.floor(this.#random() * below);
  }

  #pick<T>(items: readonly T[]): T {
    return items[this.#int(items.length)]!;
  }
}

/**
 * A raw TCP session: optionally a valid WebSocket handshake, then `garbage`. Resolves with the
 * close code of the server's close frame, the HTTP status it answered, or 'ended' when it just
 * closed the connection.
 */
export function rawSession(port: number, garbage: Buffer, handshake: boolean, timeoutMs = 5000): Promise<{ closeCode?: number; httpStatus?: number; ended: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let upgraded = !handshake;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = received.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!handshake && status) return resolve({ httpStatus: Number(status[1]), ended: true });
      resolve({ closeCode: closeCodeIn(upgradedPart(received)), ended: true });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('error', () => finish());
    socket.on('close', () => finish());
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (!upgraded && received.includes('\r\n\r\n')) {
        upgraded = true;
        socket.write(garbage);
      }
    });
    socket.on('connect', () => {
      if (!handshake) return void socket.write(garbage);
      socket.write(
        'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
  });
}

/** The bytes after the HTTP response headers (the WebSocket frames). */
function upgradedPart(data: Buffer): Buffer {
  const end = data.indexOf('\r\n\r\n');
  return end === -1 ? Buffer.alloc(0) : data.subarray(end + 4);
}

/** Walks server frames (unmasked) and returns the code of the first close frame. */
function closeCodeIn(frames: Buffer): number | undefined {
  let offset = 0;
  while (offset + 2 <= frames.length) {
    const opcode = frames[offset]! & 0x0f;
    let length = frames[offset + 1]! & 0x7f;
    let header = 2;
    if (length === 126) {
      if (offset + 4 > frames.length) return undefined;
      length = frames.readUInt16BE(offset + 2);
      header = 4;
    } else if (length === 127) {
      if (offset + 10 > frames.length) return undefined;
      length = Number(frames.readBigUInt64BE(offset + 2));
      header = 10;
    }
    if (opcode === 0x8) return length >= 2 && offset + header + 2 <= frames.length ? frames.readUInt16BE(offset + header) : 1005;
    offset += header + length;
  }
  return undefined;
}

/** Client-to-server frames that break the protocol in different ways. */
export function brokenFrames(random: () => number): Buffer[] {
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = (first: number, payload: Buffer) => {
    const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
    return Buffer.concat([Buffer.from([first, 0x80 | payload.length]), mask, body]);
  };
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  return [
    Buffer.from([0x81, 0x05, ...Buffer.from('hello')]), // unmasked client frame
    masked(0x83, Buffer.from('{}')), // reserved opcode 3
    masked(0xc1, Buffer.from('{}')), // RSV1 set without an extension
    masked(0x81, Buffer.from([0xff, 0xfe, 0xfd])), // invalid UTF-8 in a text frame
    Buffer.concat([Buffer.from([0x82, 0xff]), Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), mask]), // 2^63-byte binary
    masked(0x09, randomBytes(125)), // a ping; then random bytes below
    randomBytes(64),
  ];
}
