import { describe, expect, it } from 'vitest';
import { reduceReport, renderHtml, type Report } from '../../../src/core/report/index.js';
import { sampleJournal } from './journal-fixture.js';

const EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>';

async function report(): Promise<Report> {
  return reduceReport(sampleJournal({ n: 1200, halt: 'spam' }));
}

describe('renderHtml', () => {
  it('is one self-contained page: no external URL, no script, a CSP that forbids loading', async () => {
    const html = renderHtml(await report());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)=/i);
    // the only http(s) URL allowed is none at all
    expect(html).not.toMatch(/https?:\/\//);
    expect(html.match(/<svg class="chart/g)).toHaveLength(2);
  });

  it('escapes every string from the journal', async () => {
    const r = await report();
    r.campaign = EVIL;
    r.provider = EVIL;
    r.halt = EVIL;
    r.halt_code = EVIL;
    r.tz = null;
    r.failures = [{ code: EVIL, count: 3, meaning: EVIL, action: EVIL }];
    r.skip_reasons = [{ reason: EVIL, count: 1 }];
    const html = renderHtml(r, { source: EVIL });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('formats numbers with thousands separators and shows the halt banner', async () => {
    const r = await report();
    const html = renderHtml(r);
    expect(html).toContain('1,200'); // selected
    expect(html).toContain('Campaign halted');
    expect(html).toContain('role="alert"');
    const done = renderHtml({ ...r, halt: null, uncertain: 0, pending: 0 });
    expect(done).not.toContain('Campaign halted');
    expect(done).toContain('Campaign finished');
  });

  it('renders an empty journal without crashing', async () => {
    const html = renderHtml(await reduceReport([]));
    expect(html).toContain('No messages sent yet');
    expect(html).toContain('No failures.');
  });

  it('aggregates a multi-day timeline into larger buckets', async () => {
    const r = await report();
    r.timeline = [
      { minute: '2025-03-05T09:00:00.000Z', sent: 10, failed: 0 },
      { minute: '2025-03-07T18:00:00.000Z', sent: 5, failed: 1 },
    ];
    const html = renderHtml(r);
    const timeline = html.slice(html.indexOf('<svg class="chart timeline'));
    const bars = timeline.match(/<rect [^>]*fill="#2563eb"/g) ?? [];
    expect(bars.length).toBe(2);
    expect(html).toMatch(/messages per (\d+ h|\d+ min)/);
  });
});

describe('the header media', () => {
  it('is named in the report and on the page when the send recorded one', async () => {
    const lines = sampleJournal({ n: 5 });
    (lines[0] as { options: Record<string, unknown> }).options.header = { kind: 'video', media: 'https://partido.es/media/acto.mp4' };
    const report = await reduceReport(lines);
    expect(report.header).toEqual({ kind: 'video', media: 'https://partido.es/media/acto.mp4' });
    expect(renderHtml(report)).toContain('video · <code>https://partido.es/media/acto.mp4</code>');
    expect((await reduceReport(sampleJournal({ n: 5 }))).header).toBeNull();
  });
});
