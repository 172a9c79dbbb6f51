// Dashboard for the decorruptor stream server. Plain ES module, no build step.
// Protocol (docs/protocol.md): JSON text messages for control; one binary message per frame:
//   [u32 big-endian n][n bytes JSON header][image bytes], header.images.*.offset from after the JSON.

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 15_000;
const ACCURACY_WINDOW = 200;

const $ = (selector, root = document) => root.querySelector(selector);
const decoder = new TextDecoder();

const ui = {
  grid: $('#grid'),
  empty: $('#empty'),
  notice: $('#notice'),
  connection: $('#connection'),
  model: $('#model'),
  pause: $('#pause'),
  skipped: $('#skipped'),
  template: $('#card-template'),
};

/** @type {Map<string, StreamCard>} */
const cards = new Map();
let hello = null;
let userPaused = false;

// ---- one card per stream -----------------------------------------------------------------------

class StreamCard {
  constructor(id) {
    this.id = id;
    this.root = ui.template.content.firstElementChild.cloneNode(true);
    this.root.dataset.stream = id;
    $('.stream-id', this.root).textContent = id;
    this.sourceImg = $('.img-source', this.root);
    this.editedImg = $('.img-edited', this.root);
    this.urls = { source: null, edited: null };
    this.pending = null; // newest undrawn frame: {header, buffer}
    this.history = []; // [sourceCorrect, adaptedCorrect] of recent frames with a truth
    this.lastLatency = null;
    this.select = $('.corruption-select', this.root);
    this.select.addEventListener('change', () => {
      const value = this.select.value;
      send({ type: 'set-corruption', streamId: this.id, corruption: value === '' ? null : value });
    });
  }

  setState(state, message, attempt) {
    this.root.dataset.state = state;
    const badge = $('.state', this.root);
    badge.textContent = state === 'reconnecting' && attempt ? `reconnecting (${attempt})` : state;
    const line = $('.state-message', this.root);
    line.hidden = !message;
    line.textContent = message ?? '';
  }

  setUrl(url) {
    this.root.title = url ?? '';
  }

  setCorruptionChoices(choices, enabled) {
    const picker = $('.picker', this.root);
    picker.hidden = !enabled || choices.length === 0;
    this.select.replaceChildren(new Option('none', ''), ...choices.map((c) => new Option(c, c)));
  }

  showCorruption(corruption) {
    const chip = $('.corruption', this.root);
    chip.hidden = !corruption;
    chip.textContent = corruption ?? '';
    if (document.activeElement !== this.select) this.select.value = corruption ?? '';
  }

  queueFrame(header, buffer) {
    this.pending = { header, buffer };
  }

  /** Draws the newest frame, if one arrived since the last paint. */
  draw() {
    if (this.pending === null) return;
    const { header, buffer } = this.pending;
    this.pending = null;
    const base = 4 + new DataView(buffer).getUint32(0);

    this.#showImage('source', this.sourceImg, buffer, base, header.images.source);
    this.#showImage('edited', this.editedImg, buffer, base, header.images.edited);
    const frameSize = header.images.source;
    this.root.style.setProperty('--frame-aspect', `${frameSize.width} / ${frameSize.height}`);
    const edit = header.images.edited;
    $('.edit-size', this.root).textContent = edit ? `${edit.width}×${edit.height}` : '(editor off)';

    this.#showPrediction('.adapted', header.ensemble, header.truth);
    this.#showPrediction('.source', header.source, header.truth);
    this.root.classList.toggle('changed', header.changed);
    const truth = $('.truth', this.root);
    truth.hidden = header.truth === undefined;
    $('.label', truth).textContent = header.truth ?? '';
    this.showCorruption(header.corruption);
    this.#showTopK(header.ensemble.topk);
    if (header.truth !== undefined) this.#recordAccuracy(header);
    if (header.discontinuity) this.#flash('restarted');
    this.lastLatency = header.latencyMs;
  }

  showStats(stats) {
    $('.fps', this.root).textContent = `${stats.fps.toFixed(1)} fps`;
    const last = this.lastLatency === null ? '–' : Math.round(this.lastLatency);
    const p95 = stats.p95LatencyMs === null ? '–' : Math.round(stats.p95LatencyMs);
    $('.latency', this.root).textContent = `${last} ms · p95 ${p95} ms`;
    $('.drops', this.root).textContent = `${stats.dropped} dropped`;
  }

  /** Frees the image memory held by object URLs; the card is going away. */
  dispose() {
    for (const key of Object.keys(this.urls)) this.#swapUrl(key, null);
    this.root.remove();
  }

  #showImage(key, img, buffer, base, ref) {
    if (!ref) {
      this.#swapUrl(key, null);
      img.removeAttribute('src');
      return;
    }
    const blob = new Blob([new Uint8Array(buffer, base + ref.offset, ref.length)], { type: ref.mime });
    const url = URL.createObjectURL(blob);
    img.src = url;
    this.#swapUrl(key, url);
  }

  // The previous image stays on screen (already decoded) after its URL is revoked.
  #swapUrl(key, url) {
    if (this.urls[key]) URL.revokeObjectURL(this.urls[key]);
    this.urls[key] = url;
  }

  #showPrediction(selector, prediction, truth) {
    const row = $(selector, this.root);
    $('.label', row).textContent = prediction.label;
    $('.confidence', row).textContent = `${(prediction.confidence * 100).toFixed(0)}%`;
    const verdict = $('.verdict', row);
    if (truth === undefined) {
      row.removeAttribute('data-verdict');
      verdict.textContent = '';
    } else {
      const correct = prediction.label === truth;
      row.dataset.verdict = correct ? 'correct' : 'wrong';
      verdict.textContent = correct ? '✓' : '✗';
    }
  }

  #showTopK(topk) {
    const list = $('.topk', this.root);
    list.replaceChildren(
      ...topk.map((score) => {
        const item = document.createElement('li');
        const name = document.createElement('span');
        name.className = 'name';
        name.textContent = score.label;
        const bar = document.createElement('span');
        bar.className = 'bar';
        bar.style.setProperty('--p', String(score.probability));
        const value = document.createElement('span');
        value.className = 'value';
        value.textContent = `${(score.probability * 100).toFixed(1)}%`;
        item.append(name, bar, value);
        return item;
      }),
    );
  }

  #recordAccuracy(header) {
    this.history.push([header.source.label === header.truth, header.ensemble.label === header.truth]);
    if (this.history.length > ACCURACY_WINDOW) this.history.shift();
    const n = this.history.length;
    const pct = (i) => ((100 * this.history.filter((h) => h[i]).length) / n).toFixed(0);
    const line = $('.accuracy', this.root);
    line.hidden = false;
    line.textContent = `Accuracy over last ${n}: source only ${pct(0)}% → adapted ${pct(1)}%`;
  }

  #flash(text) {
    const badge = $('.state', this.root);
    badge.dataset.flash = text;
    setTimeout(() => delete badge.dataset.flash, 1500);
  }
}

function cardFor(id) {
  let card = cards.get(id);
  if (!card) {
    card = new StreamCard(id);
    cards.set(id, card);
    ui.grid.append(card.root);
    if (hello) card.setCorruptionChoices(hello.corruptions, hello.controls.setCorruption);
    ui.empty.hidden = true;
  }
  return card;
}

// ---- drawing: at most once per animation frame, newest frame wins --------------------------------

let drawScheduled = false;
function scheduleDraw() {
  if (drawScheduled) return;
  drawScheduled = true;
  requestAnimationFrame(() => {
    drawScheduled = false;
    for (const card of cards.values()) card.draw();
  });
}

// ---- messages --------------------------------------------------------------------------------------

function onHello(message) {
  hello = message;
  ui.model.textContent = describeModel(message);
  const ids = new Set(message.streams.map((s) => s.id));
  for (const [id, card] of cards) {
    if (!ids.has(id)) {
      card.dispose();
      cards.delete(id);
    }
  }
  for (const stream of message.streams) {
    const card = cardFor(stream.id);
    card.setUrl(stream.url);
    card.setState(stream.state, stream.message, stream.attempt);
    card.setCorruptionChoices(message.corruptions, message.controls.setCorruption);
  }
  ui.empty.hidden = cards.size > 0;
  ui.empty.textContent = 'No streams configured.';
}

function describeModel(message) {
  const model = message.model ?? {};
  const parts = [model.name ?? model.bundle, model.editor && `editor ${model.editor}`, model.steps && `${model.steps} steps`, model.provider, `v${message.version}`];
  return parts.filter(Boolean).join(' · ');
}

function onText(message) {
  switch (message.type) {
    case 'hello':
      return onHello(message);
    case 'state':
      return cardFor(message.streamId).setState(message.state, message.message, message.attempt);
    case 'stats':
      for (const stats of message.streams) cards.get(stats.id)?.showStats(stats);
      ui.skipped.hidden = message.skipped === 0;
      ui.skipped.textContent = `${message.skipped} frames skipped (slow link)`;
      return;
    case 'corruption':
      return cards.get(message.streamId)?.showCorruption(message.corruption);
    case 'error':
      if (message.for === 'set-corruption') showNotice(`Corruption not changed: ${message.message}`, 4000);
      else console.warn('server refused a message', message);
      return;
    default:
      return; // pong, subscribed, paused: nothing to show
  }
}

function onBinary(buffer) {
  const headerLength = new DataView(buffer).getUint32(0);
  const header = JSON.parse(decoder.decode(new Uint8Array(buffer, 4, headerLength)));
  cardFor(header.streamId).queueFrame(header, buffer);
  scheduleDraw();
}

// ---- connection with backoff ----------------------------------------------------------------------

let socket = null;
let attempt = 0;
let countdown = null;

function socketUrl() {
  const url = new URL('ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = new URLSearchParams(location.search).get('token');
  if (token) url.searchParams.set('token', token);
  return url.href;
}

function connect() {
  setConnection('connecting', attempt === 0 ? 'connecting…' : 'reconnecting…');
  socket = new WebSocket(socketUrl());
  socket.binaryType = 'arraybuffer';
  socket.addEventListener('open', () => {
    attempt = 0;
    hideNotice();
    setConnection('live', 'live');
    syncPause();
  });
  socket.addEventListener('message', (event) => {
    if (typeof event.data === 'string') onText(JSON.parse(event.data));
    else onBinary(event.data);
  });
  socket.addEventListener('close', (event) => scheduleReconnect(event));
}

function scheduleReconnect(event) {
  socket = null;
  const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** attempt);
  const delay = Math.round(base * (0.5 + Math.random() / 2)); // jitter: clients do not return in lockstep
  attempt++;
  const why = event.code === 1008 ? 'The server closed the connection (too many messages).' : event.code === 1001 ? 'The server is restarting.' : 'Connection lost.';
  const hint = attempt > 3 ? ' If this persists, check that the server runs and the ?token= in this page’s address.' : '';
  let remaining = Math.ceil(delay / 1000);
  const tick = () => showNotice(`${why} Reconnecting in ${remaining}s…${hint}`);
  tick();
  setConnection('reconnecting', 'reconnecting…');
  clearInterval(countdown);
  countdown = setInterval(() => {
    remaining = Math.max(0, remaining - 1);
    tick();
  }, 1000);
  setTimeout(() => {
    clearInterval(countdown);
    connect();
  }, delay);
}

function send(message) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function setConnection(state, text) {
  ui.connection.dataset.state = state;
  $('.text', ui.connection).textContent = text;
}

let noticeTimer = null;
function showNotice(text, hideAfterMs) {
  ui.notice.textContent = text;
  ui.notice.hidden = false;
  clearTimeout(noticeTimer);
  if (hideAfterMs) noticeTimer = setTimeout(hideNotice, hideAfterMs);
}

function hideNotice() {
  ui.notice.hidden = true;
}

// ---- pause: by the button, and while the tab is hidden (no bandwidth for frames nobody sees) ------

function syncPause() {
  send({ type: 'pause', paused: userPaused || document.hidden });
  ui.pause.textContent = userPaused ? 'Resume' : 'Pause';
  ui.pause.setAttribute('aria-pressed', String(userPaused));
}

ui.pause.addEventListener('click', () => {
  userPaused = !userPaused;
  syncPause();
});
document.addEventListener('visibilitychange', syncPause);

connect();
