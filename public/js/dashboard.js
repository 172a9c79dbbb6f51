// Wires the page together: one ReconnectingSocket, one StreamCard per stream, and the view state
// that the server needs to know about (which streams to send, whether to send frames at all).

import { ReconnectingSocket, dashboardSocketUrl } from './connection.js';
import { $ } from './dom.js';
import { decodeFrameMessage } from './frame-message.js';
import { palette } from './label-palette.js';
import { Notice } from './notice.js';
import { StreamCard } from './stream-card.js';

const SUPPORTED_PROTOCOL = 1;

export function startDashboard() {
  const ui = {
    body: document.body,
    grid: $('#grid'),
    empty: $('#empty'),
    model: $('#model'),
    focus: $('#focus'),
    skipped: $('#skipped'),
    connection: $('#connection'),
    template: $('#card-template'),
  };
  const notice = new Notice($('#notice'));

  /** @type {Map<string, StreamCard>} */
  const cards = new Map();
  let hello = null;
  let focusId = focusFromHash();
  const pausedIds = new Set();
  /** Each stream's confirmed regions of interest; absent: the stream takes none. */
  const regionsByStream = new Map();

  const socket = new ReconnectingSocket(dashboardSocketUrl(location), {
    connecting: (attempt) => setConnection(attempt === 0 ? 'connecting' : 'reconnecting', attempt === 0 ? 'connecting…' : 'reconnecting…'),
    open: (reconnected) => {
      setConnection('live', 'live');
      if (reconnected) notice.show('ok', 'Reconnected to the server.', { hideAfterMs: 3000 });
      else notice.hide();
      sendPause();
    },
    text: onText,
    binary: (buffer) => {
      // A stream's card comes from the hello or a state message, which the server sends before its
      // first frame; a frame of a stream not (or no longer) known is a late one and is dropped.
      const frame = decodeFrameMessage(buffer);
      const card = cards.get(frame.header.streamId);
      if (card === undefined) return;
      card.queueFrame(frame);
      scheduleRender();
    },
    down: ({ code, attempt, retryAt }) => {
      setConnection('down', 'offline');
      notice.show('warn', () => describeOutage(code, attempt, retryAt, hello !== null), {
        action: { label: 'Retry now', run: () => socket.retryNow() },
      });
    },
  });

  // ---- cards -------------------------------------------------------------------------------

  const cardActions = {
    toggleFocus: (id) => setFocus(focusId === id ? null : id),
    setPaused: (id, paused) => {
      if (paused) pausedIds.add(id);
      else pausedIds.delete(id);
      cards.get(id)?.setPaused(paused);
      sendSubscription();
    },
    setCorruption: (id, setting) => socket.send({ type: 'set-corruption', streamId: id, corruption: setting }),
    setRegions: (id, regions) => socket.send({ type: 'set-regions', streamId: id, regions }),
  };

  function cardFor(id) {
    let card = cards.get(id);
    if (card === undefined) {
      card = new StreamCard(id, ui.template, cardActions);
      cards.set(id, card);
      ui.grid.append(card.root);
      if (hello) card.setCorruptionChoices(...corruptionControl(hello));
      showRegions(id);
      placeCards();
      refreshStreamList();
    }
    return card;
  }

  // ---- regions of interest: each a stream `<stream>.<region>` on a card right after its stream's

  /** The stream a region's stream is cut from (the last "." splits them), else null. */
  function parentOf(id) {
    const dot = id.lastIndexOf('.');
    const parent = id.slice(0, dot);
    return dot > 0 && regionsByStream.get(parent)?.some((r) => r.id === id.slice(dot + 1)) ? parent : null;
  }

  function showRegions(id) {
    const card = cards.get(id);
    card?.setRegions(regionsByStream.get(id), hello?.controls?.setRegions === true);
    card?.setRegionOf(parentOf(id));
  }

  function placeCards() {
    const ordered = [];
    for (const [id, card] of cards) {
      if (parentOf(id) !== null && cards.has(parentOf(id))) continue; // placed after its stream
      ordered.push(card.root);
      for (const region of regionsByStream.get(id) ?? []) {
        const child = cards.get(`${id}.${region.id}`);
        if (child) ordered.push(child.root);
      }
    }
    const now = [...ui.grid.children];
    if (ordered.some((root, i) => now[i] !== root)) ui.grid.append(...ordered);
  }

  function removeCard(id) {
    cards.get(id)?.dispose();
    cards.delete(id);
    pausedIds.delete(id);
    refreshStreamList();
  }

  // The topbar picker, the focus buttons, the empty-state line and which cards are shown.
  function refreshStreamList() {
    const options = [new Option('All streams', ''), ...[...cards.keys()].map((id) => new Option(id, id))];
    ui.focus.replaceChildren(...options);
    ui.focus.value = focusId ?? '';
    for (const [id, card] of cards) {
      card.setFocused(id === focusId);
      card.root.hidden = focusId !== null && id !== focusId;
    }
    ui.grid.classList.toggle('single', focusId !== null || cards.size === 1);
    ui.empty.hidden = cards.size > 0;
  }

  function setFocus(id) {
    focusId = id;
    history.replaceState(null, '', id === null ? location.pathname + location.search : `#stream=${encodeURIComponent(id)}`);
    refreshStreamList();
    sendSubscription();
  }

  ui.focus.addEventListener('change', () => setFocus(ui.focus.value === '' ? null : ui.focus.value));

  // ---- what the server should send ---------------------------------------------------------

  // Frames for streams nobody is looking at are not worth the bandwidth: a focused view or a
  // paused card narrows the subscription. '*' also covers streams that appear later.
  function sendSubscription() {
    if (focusId === null && pausedIds.size === 0) return socket.send({ type: 'subscribe', streams: '*' });
    const shown = focusId === null ? [...cards.keys()] : [focusId];
    socket.send({ type: 'subscribe', streams: shown.filter((id) => !pausedIds.has(id)) });
  }

  // A hidden tab draws nothing, so it asks for no frames; state and stats keep coming.
  function sendPause() {
    socket.send({ type: 'pause', paused: document.hidden });
  }

  document.addEventListener('visibilitychange', () => {
    sendPause();
    if (!document.hidden) socket.retryNow();
  });

  // ---- messages ----------------------------------------------------------------------------

  function onText(message) {
    switch (message.type) {
      case 'hello':
        return onHello(message);
      case 'state': {
        const isNew = !cards.has(message.streamId);
        cardFor(message.streamId).setState(message.state, message.message, message.attempt);
        if (isNew) sendSubscription(); // a narrowed subscription must learn about the new stream
        return;
      }
      case 'stats':
        for (const stats of message.streams) cards.get(stats.id)?.showStats(stats, message.at);
        ui.skipped.hidden = message.skipped === 0;
        ui.skipped.textContent = `${message.skipped} frames skipped (slow link)`;
        return;
      case 'corruption':
        return cards.get(message.streamId)?.confirmCorruption(message.corruption);
      case 'regions':
        regionsByStream.set(message.streamId, message.regions);
        for (const id of cards.keys()) showRegions(id);
        return placeCards();
      case 'error':
        if (message.for === 'set-regions') {
          for (const card of cards.values()) card.regionsRefused();
          return notice.show('error', `Regions not changed: ${message.message}`, { hideAfterMs: 6000 });
        }
        if (message.for !== 'set-corruption') return console.warn('the server refused a message', message);
        for (const card of cards.values()) card.corruptionRefused();
        return notice.show('error', `Corruption not changed: ${message.message}`, { hideAfterMs: 5000 });
      default:
        return; // pong, subscribed, paused: nothing to show
    }
  }

  function onHello(message) {
    hello = message;
    palette.setLabels(message.labels);
    ui.model.textContent = describeModel(message);
    if (message.protocol !== SUPPORTED_PROTOCOL) {
      notice.show('warn', `This page speaks protocol ${SUPPORTED_PROTOCOL}, the server ${message.protocol}: some things may not show. Reload the page.`);
    }
    const ids = new Set(message.streams.map((s) => s.id));
    for (const id of [...cards.keys()]) if (!ids.has(id)) removeCard(id);
    regionsByStream.clear();
    for (const stream of message.streams) if (stream.regions !== undefined) regionsByStream.set(stream.id, stream.regions);
    for (const stream of message.streams) {
      const card = cardFor(stream.id);
      card.setUrl(stream.url);
      card.setState(stream.state, stream.message, stream.attempt);
      card.setCorruptionChoices(...corruptionControl(message));
      if (stream.corruption !== undefined) card.confirmCorruption(stream.corruption); // absent: older server, or not one spec
    }
    for (const id of cards.keys()) showRegions(id);
    placeCards();
    ui.empty.textContent = 'The server has no streams configured.';
    refreshStreamList();
    sendSubscription();
  }

  // ---- drawing: once per animation frame at most, newest frame wins ---------------------------

  let renderScheduled = false;
  function scheduleRender() {
    if (renderScheduled) return;
    renderScheduled = true;
    requestAnimationFrame(() => {
      renderScheduled = false;
      for (const card of cards.values()) card.render();
    });
  }

  function setConnection(state, text) {
    ui.body.dataset.connection = state;
    $('.text', ui.connection).textContent = text;
  }

  socket.start();
}

/** [choices, enabled] for the corruption pickers; older servers may lack either field. */
function corruptionControl(hello) {
  return [hello.corruptions ?? [], hello.controls?.setCorruption === true];
}

function describeModel(hello) {
  const model = hello.model ?? {};
  if (model.loading) return `loading the model… · v${hello.version}`;
  const noise = model.noise?.source === 'bundle' ? `noise seed ${model.noise.seed}` : null;
  const parts = [model.name, model.editor && model.editor !== 'none' ? `editor ${model.editor}` : 'editor off', model.steps && `${model.steps} steps`, noise, model.provider, `v${hello.version}`];
  return parts.filter(Boolean).join(' · ');
}

function describeOutage(code, attempt, retryAt, everConnected) {
  const seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
  const why =
    code === 1001 ? 'The server shut down or is restarting.'
    : code === 1008 ? 'The server closed the connection (too many messages).'
    : everConnected ? 'Lost the connection to the server.'
    : 'Cannot reach the server.';
  const when = seconds > 0 ? `Reconnecting in ${seconds} s` : 'Reconnecting now';
  const hint = attempt > 3 ? ' If this goes on, check that the server is running (and the ?token= in this address).' : '';
  return `${why} ${when} (attempt ${attempt})…${hint}`;
}

function focusFromHash() {
  const match = /^#stream=(.+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}
