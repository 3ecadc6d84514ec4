import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './processes';
import { toolSettings } from './settings';

/**
 * Headless Debian chromium through playwright-core (no browser download), for tests of what a
 * person looks at: a fresh profile each launch, screenshots into test-artifacts/ (git-ignored).
 * `newPage()` opens a page in a context of its own, so one test can be a logged-in browser and
 * another a stranger's without sharing cookies.
 */

export const ARTIFACTS_DIR = path.join(ROOT, 'test-artifacts');

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  browser: Browser;
  /** A page in a fresh context (its own cookies and storage). */
  newPage(options?: { viewport?: { width: number; height: number } }): Promise<Page>;
  /** Saves `page` as test-artifacts/<name>.png (`name` may name a folder: `console/01-login`); answers the file. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: toolSettings().chromiumPath,
    headless: true,
    // launch() makes a fresh temporary profile itself (and refuses --user-data-dir), removed on close.
    args: ARGS,
  });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 1000 } });
      contexts.push(context);
      return context.newPage();
    },
    async screenshot(page, name) {
      // `console/01-login` keeps its folder: one test's screenshots together.
      const parts = name.split('/').map((part) => part.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^\.+$/, '-'));
      const file = path.join(ARTIFACTS_DIR, ...parts.slice(0, -1), `${parts[parts.length - 1]}.png`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
    },
  };
}
