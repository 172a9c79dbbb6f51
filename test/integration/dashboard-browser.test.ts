/**
 * The dashboard in a real browser, end to end: the real `serve` command (a live lavfi test feed
 * through the fixture model bundle) and headless Chromium. Checks that frames and labels show,
 * that the controls reach the server, that a stopped server is announced, and that the page
 * recovers by itself when the server comes back on the same port, and that a region of interest
 * dragged on the live frame becomes a stream of its own. Screenshots land in test-artifacts/
 * (desktop, phone, offline, regions).
 *
 * Needs Debian's chromium package; without it the suite is skipped with a message.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchHeadlessChromium, type HeadlessBrowser } from '../browser/chromium.js';
import {
  canvasPixels,
  cardSelector,
  connectionState,
  framesShown,
  overflowsHorizontally,
  waitForFramesBeyond,
  waitForText,
  waitForValue,
} from '../browser/dashboard-page.js';
import { FIXTURE_BUNDLE, REPO_ROOT, startServe, type ServeProcess } from '../helpers/reliability-cli.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const STREAM = 'cam';
const CIFAR_LABELS = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const CARD = cardSelector(STREAM);

/** The real CLI on `port` (0: any free port); resolves once it prints its address. */
function startServer(port: number): Promise<ServeProcess> {
  return startServe(['--source', `${STREAM}=lavfi:testsrc2=size=160x120:rate=8`, '--corrupt', 'fog:2', '--bundle', FIXTURE_BUNDLE, '--host', '127.0.0.1'], { port });
}

/** SIGTERM, and SIGKILL after 5 s. */
async function stopServer(server: ServeProcess): Promise<void> {
  if (!server.cli.running) return;
  server.cli.child.kill('SIGTERM');
  await server.cli.exit(5000);
}

interface Session {
  /** The server the page talks to; a case that restarts it puts the new one here. */
  server: ServeProcess;
  browser: HeadlessBrowser;
}

/**
 * Runs one case with a server and a Chromium of its own, checks that the page threw nothing, and
 * leaves the page as the case left it in dashboard-final.png: the first thing to look at when a
 * step failed in CI.
 */
async function withDashboard(body: (session: Session) => Promise<void>): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Both take a few seconds; start them together, and stop whichever started.
  const [started, launched] = await Promise.allSettled([startServer(0), launchHeadlessChromium()]);
  const browser = launched.status === 'fulfilled' ? launched.value : undefined;
  let server = started.status === 'fulfilled' ? started.value : undefined;
  try {
    for (const outcome of [started, launched]) if (outcome.status === 'rejected') throw outcome.reason;
    const session = { server: server!, browser: browser! };
    try {
      await body(session);
    } finally {
      server = session.server;
    }
    assert.deepEqual(browser!.pageErrors, [], 'the page threw');
  } finally {
    await browser?.page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-final.png') }).catch(() => {});
    await browser?.close();
    if (server) await stopServer(server);
  }
}

/** Opens the dashboard and waits until it shows the stream running, with frames. */
async function openDashboard({ server, browser: { page } }: Session): Promise<void> {
  await page.goto(`${server.httpUrl}/`);
  await page.waitForSelector('body[data-connection="live"]', { timeout: 10_000 });
  await page.waitForSelector(`${CARD}[data-state="running"]`, { timeout: 15_000 });
  await waitForFramesBeyond(page, STREAM, 2, 15_000);
}

/** Drags the mouse over the element matching `selector` from one point to another, given as fractions of its box. */
async function dragAcross(page: Page, selector: string, from: [number, number], to: [number, number]): Promise<void> {
  const box = await page.locator(selector).boundingBox();
  assert.ok(box, `${selector} is not on screen`);
  const at = ([fx, fy]: [number, number]) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  await page.mouse.move(...at(from));
  await page.mouse.down();
  await page.mouse.move(...at([(from[0] + to[0]) / 2, (from[1] + to[1]) / 2]));
  await page.mouse.move(...at(to));
  await page.mouse.up();
}

describe('dashboard in headless Chromium', { skip: chromiumMissing(), timeout: 180_000 }, () => {
  it('connects and shows live frames, labels, top-5 bars and the running state', () =>
    withDashboard(async (session) => {
      const { page } = session.browser;
      await openDashboard(session);

      const source = await canvasPixels(page, `${CARD} .frame-source`);
      assert.ok(source.width > 1 && source.distinctColors > 10, `input frame looks blank: ${JSON.stringify(source)}`);
      const edited = await canvasPixels(page, `${CARD} .frame-edited`);
      assert.ok(edited.width > 1 && edited.distinctColors > 1, `edited frame looks blank: ${JSON.stringify(edited)}`);

      const adapted = await page.textContent(`${CARD} .prediction.adapted .label`);
      const sourceOnly = await page.textContent(`${CARD} .prediction.source .label`);
      assert.ok(CIFAR_LABELS.includes(adapted ?? ''), `adapted label: ${adapted}`);
      assert.ok(CIFAR_LABELS.includes(sourceOnly ?? ''), `source-only label: ${sourceOnly}`);
      assert.match((await page.textContent(`${CARD} .prediction.adapted .confidence`)) ?? '', /^\d+%$/);
      assert.equal(await page.locator(`${CARD} .topk-source li`).count(), 5);
      assert.equal(await page.locator(`${CARD} .topk-adapted li`).count(), 5);
      assert.equal((await page.textContent(`${CARD} .badge.state`))?.trim(), 'running');
      assert.equal((await page.textContent(`${CARD} .chip.corruption`))?.trim(), 'fog:2');
      // The fixture bundle has no corruption gate: no gate chip, the editor runs on every frame.
      assert.equal(await page.locator(`${CARD} .chip.gate`).isVisible(), false);

      // Stats arrive once a second: the footer and the history chart fill in.
      await waitForText(page, `${CARD} .stat.fps`, /^\d+(\.\d)? fps$/, 5000);
      const timeline = await canvasPixels(page, `${CARD} canvas.timeline`);
      assert.ok(timeline.distinctColors > 2, 'label timeline is blank');
      assert.ok((await page.locator(`${CARD} .legend li`).count()) >= 1, 'timeline legend is empty');

      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-desktop.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      assert.equal(await overflowsHorizontally(page), false, 'the page scrolls sideways at phone width');
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone.png') });
      await page.setViewportSize({ width: 1280, height: 900 });
    }));

  it('sends the corruption picked in the card to the server, and the frames follow', () =>
    withDashboard(async (session) => {
      const { page } = session.browser;
      await openDashboard(session);
      assert.equal(await page.inputValue(`${CARD} .corruption-type`), 'fog');
      assert.equal(await page.inputValue(`${CARD} .corruption-severity`), '2');
      await page.selectOption(`${CARD} .corruption-severity`, '5');
      await page.selectOption(`${CARD} .corruption-type`, 'snow');
      await waitForText(page, `${CARD} .chip.corruption`, /^snow:5$/, 8000);
      await page.selectOption(`${CARD} .corruption-type`, '');
      await page.waitForSelector(`${CARD} .chip.corruption`, { state: 'hidden', timeout: 8000 });
    }));

  it('pauses a stream view, hides the edited view and focuses one stream', () =>
    withDashboard(async (session) => {
      const { page } = session.browser;
      await openDashboard(session);
      await page.click(`${CARD} .edited-toggle`);
      assert.equal(await page.isVisible(`${CARD} .frame-edited`), false);
      await page.click(`${CARD} .edited-toggle`);
      assert.equal(await page.isVisible(`${CARD} .frame-edited`), true);

      await page.click(`${CARD} .pause-toggle`);
      await page.waitForSelector(`${CARD} .paused-overlay`, { state: 'visible' });
      const frozenAt = await framesShown(page, STREAM);
      await page.waitForTimeout(1000); // the behaviour: no new frame shows for a second (a frame not drawn has no event)
      assert.ok((await framesShown(page, STREAM)) <= frozenAt + 1, 'frames kept coming while paused'); // +1: one already in flight
      await page.click(`${CARD} .pause-toggle`);
      await waitForFramesBeyond(page, STREAM, frozenAt + 1, 5000);

      await page.click(`${CARD} .focus-toggle`);
      assert.equal(await page.inputValue('#focus'), STREAM);
      assert.match(page.url(), new RegExp(`#stream=${STREAM}$`));
      await page.selectOption('#focus', '');
      assert.equal(await page.isVisible(CARD), true);
    }));

  it('draws a region on the live frame: the server confirms it, and its own stream shows on a card of its own', () =>
    withDashboard(async (session) => {
      const { page } = session.browser;
      await openDashboard(session);
      const REGION = cardSelector(`${STREAM}.door`);
      await page.click(`${CARD} .region-draw`);
      await dragAcross(page, `${CARD} .region-layer`, [0.25, 0.5], [0.75, 1]);
      await page.waitForSelector(`${CARD} .region-form`, { state: 'visible' });
      await page.fill(`${CARD} .region-name`, 'door');
      await page.click(`${CARD} .region-add`);

      // Confirmed by the server (the outline and the list show what the server sent back)...
      await page.waitForSelector(`${CARD} .region-box:not(.sketch)[data-region="door"]`, { timeout: 8000 });
      assert.match((await page.textContent(`${CARD} .region-list li[data-region="door"]`)) ?? '', /^door\s*\d+\.\d+%, \d+\.\d+% · \d+\.\d+% × \d+\.\d+%/);
      // ...and the region's own stream, on its card right after its stream's, with frames and labels.
      await page.waitForSelector(`${REGION}[data-parent="${STREAM}"]`, { timeout: 15_000 });
      await waitForFramesBeyond(page, `${STREAM}.door`, 2, 15_000);
      assert.equal(await page.evaluate(({ card, region }) => document.querySelector(card)?.nextElementSibling === document.querySelector(region), { card: CARD, region: REGION }), true);
      assert.equal((await page.textContent(`${REGION} .chip.region-of`))?.trim(), `region of ${STREAM}`);
      const pixels = await canvasPixels(page, `${REGION} .frame-source`);
      assert.ok(pixels.distinctColors > 10, `the region's frame looks blank: ${JSON.stringify(pixels)}`);
      // Half the width and half the height of the 320x240 decode, give or take the mouse's rounding.
      const [width, height] = ((await page.textContent(`${REGION} .frame-size`)) ?? '').split('×').map(Number);
      assert.ok(Math.abs(width! - 160) <= 4 && Math.abs(height! - 120) <= 4, `region frame ${width}×${height}`);
      assert.ok(CIFAR_LABELS.includes((await page.textContent(`${REGION} .prediction.adapted .label`)) ?? ''));
      assert.equal(await page.isVisible(`${REGION} .region-draw`), false, 'a region has no regions of its own');
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-regions.png'), fullPage: true });

      // A bad name is refused by the server and said; the card and its region stay.
      await page.click(`${CARD} .region-draw`);
      await dragAcross(page, `${CARD} .region-layer`, [0.05, 0.05], [0.3, 0.3]); // not the very corner: the frame box has rounded corners
      await page.evaluate((selector) => document.querySelector<HTMLInputElement>(selector)!.removeAttribute('pattern'), `${CARD} .region-name`);
      await page.fill(`${CARD} .region-name`, 'no.dots');
      await page.click(`${CARD} .region-add`);
      await waitForText(page, '#notice .notice-text', /Regions not changed: .*regions\.1\.id/, 8000);
      await page.click(`${CARD} .region-cancel`);

      await page.click(`${CARD} .region-list li[data-region="door"] .region-remove`);
      await page.waitForSelector(REGION, { state: 'detached', timeout: 8000 });
      assert.equal(await page.locator(`${CARD} .region-box`).count(), 0);
      await waitForFramesBeyond(page, STREAM, (await framesShown(page, STREAM)) + 2, 5000);
      assert.equal(await page.locator(REGION).count(), 0, 'a late frame of the removed region brought its card back');
    }));

  // One case: coming back needs the server to have gone away first.
  it('says so when the server goes away, and recovers by itself when it comes back on the same port', () =>
    withDashboard(async (session) => {
      const { page } = session.browser;
      await openDashboard(session);
      // Leave the old server clean, so that the new one's --corrupt fog:2 has to replace what the picker shows.
      await page.selectOption(`${CARD} .corruption-type`, '');
      await page.waitForSelector(`${CARD} .chip.corruption`, { state: 'hidden', timeout: 8000 });
      const port = Number(new URL(session.server.httpUrl).port);

      await stopServer(session.server);
      await page.waitForSelector('#notice:not([hidden])', { timeout: 5000 });
      assert.match((await page.textContent('#notice .notice-text')) ?? '', /reconnecting/i);
      assert.notEqual(await connectionState(page), 'live'); // 'down', or 'reconnecting' once a retry has begun
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-offline.png') });

      const before = await framesShown(page, STREAM);
      session.server = await startServer(port);
      await page.waitForSelector('body[data-connection="live"]', { timeout: 20_000 });
      assert.match((await page.textContent('#notice .notice-text')) ?? '', /reconnected/i);
      await waitForFramesBeyond(page, STREAM, before, 15_000);
      await page.waitForSelector(`${CARD}[data-state="running"]`, { timeout: 5000 });
      // The new server runs with --corrupt fog:2 again; the picker must not keep the old server's setting.
      await waitForValue(page, `${CARD} .corruption-type`, 'fog', 5000);
      assert.equal(await page.inputValue(`${CARD} .corruption-severity`), '2');
    }));
});
