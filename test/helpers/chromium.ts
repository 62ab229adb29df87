/**
 * Headless Chromium from Debian's package (/usr/bin/chromium), driven by playwright-core: npm
 * cannot download a browser here. Flags as the machine notes say: without the background
 * networking ones Chromium tries to reach Google's hosts at every start.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

export async function withChromiumPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
  const pw = await import('playwright-core');
  const context = await pw.chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'chromium-profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    viewport: { width: 1366, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    return await fn(context.pages()[0] ?? (await context.newPage()));
  } finally {
    await context.close();
  }
}
