/**
 * What a test can read off the dashboard page: the data-* attributes and texts the dashboard
 * keeps up to date, and the pixels of its canvases. Everything passed to page.evaluate runs in
 * the browser.
 */
/// <reference lib="dom" />
import type { Page } from 'playwright-core';

export interface CanvasPixels {
  width: number;
  height: number;
  /** Distinct RGBA values among (up to) 4096 sampled pixels: 1 means a blank, one-color canvas. */
  distinctColors: number;
}

/** Samples the pixels of the first canvas matching `selector`. */
export function canvasPixels(page: Page, selector: string): Promise<CanvasPixels> {
  return page.evaluate((selector) => {
    const canvas = document.querySelector<HTMLCanvasElement>(selector);
    if (!canvas) throw new Error(`no canvas ${selector}`);
    const { width, height } = canvas;
    const data = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
    const pixels = width * height;
    const step = Math.max(1, Math.floor(pixels / 4096));
    const colors = new Set<number>();
    for (let i = 0; i < pixels; i += step) {
      const o = i * 4;
      colors.add(((data[o] << 24) | (data[o + 1] << 16) | (data[o + 2] << 8) | data[o + 3]) >>> 0);
    }
    return { width, height, distinctColors: colors.size };
  }, selector);
}

/** Frames the stream's card has put on screen so far (its data-frames counter). */
export async function framesShown(page: Page, streamId: string): Promise<number> {
  return Number(await page.getAttribute(cardSelector(streamId), 'data-frames'));
}

/** Waits until the card has shown more than `count` frames. */
export async function waitForFramesBeyond(page: Page, streamId: string, count: number, timeout: number): Promise<void> {
  await page.waitForFunction(
    ({ selector, count }) => Number(document.querySelector(selector)?.getAttribute('data-frames') ?? 0) > count,
    { selector: cardSelector(streamId), count },
    { timeout, polling: 100 },
  );
}

export const cardSelector = (streamId: string): string => `.card[data-stream="${streamId}"]`;

/** The page's overall connection state: connecting, live, reconnecting or down. */
export function connectionState(page: Page): Promise<string | null> {
  return page.getAttribute('body', 'data-connection');
}

/** True when the page is wider than the viewport (something forces sideways scrolling). */
export function overflowsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

/** Waits until the text of the element matching `selector` matches `pattern`. */
export async function waitForText(page: Page, selector: string, pattern: RegExp, timeout: number): Promise<void> {
  await page.waitForFunction(
    ({ selector, source, flags }) => new RegExp(source, flags).test(document.querySelector(selector)?.textContent ?? ''),
    { selector, source: pattern.source, flags: pattern.flags },
    { timeout, polling: 100 },
  );
}

/** Waits until the form control matching `selector` has the value `value`. */
export async function waitForValue(page: Page, selector: string, value: string, timeout: number): Promise<void> {
  await page.waitForFunction(
    ({ selector, value }) => document.querySelector<HTMLSelectElement | HTMLInputElement>(selector)?.value === value,
    { selector, value },
    { timeout, polling: 100 },
  );
}
