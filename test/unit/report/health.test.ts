import { describe, expect, it } from 'vitest';
import { reduceReport, renderHtml } from '../../../src/core/report/index.js';
import type { HealthEvent, JournalLine } from '../../../src/core/journal/format.js';

const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s)).toISOString();
const H: JournalLine = { type: 'header', version: 1, campaign: 'c', at: at(0), contacts: { path: 'c.csv', sha256: 'x' }, template: null, provider: 'cloud', options: {} };
const reading = (quality: string, s: number): HealthEvent => ({
  type: 'health', at: at(s), provider: 'cloud', read: 'ok', quality, status: 'CONNECTED', tier: 'TIER_1K', limit: 1000, throughput: 'STANDARD', per_second: 80, ignored: false,
});

describe('report: the sender health', () => {
  it('is the latest reading (a resume reads it again), in JSON and in the HTML header', async () => {
    const r = await reduceReport([H, reading('GREEN', 1), { type: 'attempt', to: '+341', at: at(2) }, { type: 'resume', at: at(3) }, reading('YELLOW', 3)]);
    expect(r.health).toEqual({ at: at(3), provider: 'cloud', read: 'ok', quality: 'YELLOW', status: 'CONNECTED', tier: 'TIER_1K', limit: 1000, throughput: 'STANDARD', per_second: 80, ignored: false });
    expect(renderHtml(r)).toContain('<dt>Sender</dt><dd>quality YELLOW, status CONNECTED, tier TIER_1K (1000/24 h), throughput STANDARD (80/s)</dd>');
  });

  it('is null for a journal without a reading (written before issue 12), and the HTML has no sender line', async () => {
    const r = await reduceReport([H, { type: 'attempt', to: '+341', at: at(2) }]);
    expect(r.health).toBeNull();
    expect(renderHtml(r)).not.toContain('<dt>Sender</dt>');
  });

  it('a failed read is shown as unknown, with the HTML escaping what the provider said', async () => {
    const r = await reduceReport([H, { ...reading('UNKNOWN', 1), read: 'failed', error: 'HTTP 403 <script>' }]);
    const html = renderHtml(r);
    expect(html).toContain('unknown (the read failed: HTTP 403 &lt;script&gt;)');
    expect(html).not.toContain('<script>');
  });
});
