/**
 * Opens the HTML report in a real headless Chromium and checks it is self-contained (not one
 * network request), that both SVG charts render with a size, and that the page logs no error.
 * Needs the `chromium` apt package (/usr/bin/chromium) and the `playwright-core` dev dependency.
 * A screenshot is saved to a temp dir (or to $REPORT_SCREENSHOT_DIR) for a person to look at.
 */
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildReport, renderHtml } from '../../../src/core/report/index.js';
import { sampleJournal, writeJournal } from './journal-fixture.js';
import { CHROMIUM, hasChromium, withChromiumPage } from '../../helpers/chromium.js';

if (!hasChromium) console.warn(`html-chromium.test.ts skipped: ${CHROMIUM} is absent (apt-get install -y chromium).`);

describe.skipIf(!hasChromium)('HTML report in headless Chromium', () => {
  it('makes no network request, draws both charts, logs no error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-html-'));
    const journal = join(dir, 'campaign.jsonl');
    const lines = sampleJournal({ n: 1_850, halt: 'Meta restricted sending: messages were reported as spam (131048)' });
    // A hostile code: must show as text, never run or load anything.
    lines.push({ type: 'attempt', to: '+34611111111', at: '2025-03-05T09:10:00.000Z' });
    lines.push({ type: 'failed', to: '+34611111111', at: '2025-03-05T09:10:00.000Z', code: '<img src="http://127.0.0.1:9/x.png" onerror="alert(1)"><script>alert(2)</script>', permanent: true });
    writeJournal(journal, lines);
    const report = await buildReport(journal);
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(report, { source: 'campaign.jsonl' }));
    const url = pathToFileURL(file).href;

    await withChromiumPage(async (page) => {
      const requests: string[] = [];
      const problems: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
      await page.goto(url, { waitUntil: 'load' });

      const charts = page.locator('svg.chart');
      expect(await charts.count()).toBe(2);
      for (const cls of ['funnel', 'timeline']) {
        const box = await page.locator(`svg.chart.${cls}`).boundingBox();
        expect(box, cls).not.toBeNull();
        expect(box!.width, cls).toBeGreaterThan(200);
        expect(box!.height, cls).toBeGreaterThan(100);
      }
      expect(await page.locator('svg.timeline rect[fill="#2563eb"]').count()).toBeGreaterThan(5);
      await expect(page.locator('.banner[role=alert]').innerText()).resolves.toContain('reported as spam');
      await expect(page.locator('table.failures').first().innerText()).resolves.toContain('<script>alert(2)</script>');
      expect(await page.locator('main script, main img').count()).toBe(0);
      await expect(page.locator('.kpi .value').first().innerText()).resolves.toBe('1,851');

      const shots = process.env.REPORT_SCREENSHOT_DIR ?? join(dir, 'shots');
      mkdirSync(shots, { recursive: true });
      const png = join(shots, 'report.png');
      await page.screenshot({ path: png, fullPage: true });
      expect(statSync(png).size).toBeGreaterThan(10_000);
      console.info(`report screenshot: ${png}`);

      expect(requests).toEqual([url]);
      expect(problems).toEqual([]);
    });
  });
});
