/**
 * Headless Chromium for end-to-end tests: Debian's package (`apt-get install -y chromium`), driven
 * by playwright-core. Nothing is ever downloaded: no browser is fetched, and the flags below turn
 * off Chromium's own background traffic (updates, sync, QUIC probes), so the tests run offline.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox', // CI containers run as root, where Chromium's sandbox cannot start
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** Why browser tests cannot run here, or undefined when they can (for node:test's `skip`). */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH)
    ? undefined
    : `no Chromium at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`;
}

export interface HeadlessBrowser {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions thrown by the page's scripts. */
  pageErrors: string[];
  close(): Promise<void>;
}

/** Starts Chromium with a fresh, throw-away profile and one page of the given size. */
export async function launchHeadlessChromium(viewport = { width: 1280, height: 900 }): Promise<HeadlessBrowser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'dashboard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return {
    context,
    page,
    pageErrors,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
