// The dashboard's WebSocket, reopened with jittered exponential backoff whenever it closes
// (server restart, network drop). The owner hears about every step so it can tell the viewer.

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 8_000;

/**
 * @typedef {object} ConnectionEvents
 * @property {(attempt: number) => void} connecting      attempt 0 is the first connection
 * @property {(reconnected: boolean) => void} open
 * @property {(message: object) => void} text
 * @property {(buffer: ArrayBuffer) => void} binary
 * @property {(info: {code: number, attempt: number, retryAt: number}) => void} down
 */

export class ReconnectingSocket {
  #url;
  #events;
  #socket = null;
  #failures = 0; // closes since the last successful open
  #everOpened = false;
  #retryTimer = null;

  /** @param {string} url @param {ConnectionEvents} events */
  constructor(url, events) {
    this.#url = url;
    this.#events = events;
  }

  start() {
    this.#open();
  }

  get isOpen() {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  send(message) {
    if (this.isOpen) this.#socket.send(JSON.stringify(message));
  }

  /** Skips the rest of the backoff wait (the notice's "Retry now", the tab coming back). */
  retryNow() {
    if (this.#retryTimer === null) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#open();
  }

  #open() {
    this.#events.connecting(this.#failures);
    const socket = new WebSocket(this.#url);
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('open', () => {
      const reconnected = this.#everOpened;
      this.#everOpened = true;
      this.#failures = 0;
      this.#events.open(reconnected);
    });
    socket.addEventListener('message', (event) => {
      if (typeof event.data === 'string') this.#events.text(JSON.parse(event.data));
      else this.#events.binary(event.data);
    });
    socket.addEventListener('close', (event) => this.#scheduleRetry(event.code));
    this.#socket = socket;
  }

  #scheduleRetry(code) {
    this.#socket = null;
    const ceiling = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.#failures);
    const delay = Math.round(ceiling * (0.5 + Math.random() / 2)); // jitter: many tabs must not return in lockstep
    this.#failures++;
    this.#events.down({ code, attempt: this.#failures, retryAt: Date.now() + delay });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#open();
    }, delay);
  }
}

/** ws(s)://host/ws next to the page, passing on ?token= from the page's own address. */
export function dashboardSocketUrl(location) {
  const url = new URL('ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = new URLSearchParams(location.search).get('token');
  if (token) url.searchParams.set('token', token);
  return url.href;
}
