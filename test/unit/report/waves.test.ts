import { describe, expect, it } from 'vitest';
import { reduceReport, renderHtml } from '../../../src/core/report/index.js';
import type { JournalLine } from '../../../src/core/journal/format.js';

const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s * 10)).toISOString();
const H: JournalLine = { type: 'header', version: 1, campaign: 'c', at: at(0), contacts: { path: 'c.csv', sha256: 'x' }, template: null, provider: 'cloud', options: {} };

function sent(to: string, s: number, id: string): JournalLine[] {
  return [{ type: 'attempt', to, at: at(s) }, { type: 'sent', to, at: at(s), id }];
}

describe('report: canary waves', () => {
  it('each wave with its recipients, figures counted now, and its verdict; the HTML shows them on the timeline and in a table', async () => {
    const r = await reduceReport([
      H,
      { type: 'wave', at: at(1), phase: 'start', n: 1, of: 2, size: 2, base: 4 },
      ...sent('+341', 1, 'a'),
      ...sent('+342', 1, 'b'),
      { type: 'wave', at: at(2), phase: 'wait', n: 1, of: 2, until: at(8) },
      { type: 'status', to: '+341', at: at(3), id: 'a', status: 'delivered' },
      { type: 'status', to: '+342', at: at(3), id: 'b', status: 'failed', code: 131026 },
      { type: 'optout', to: '+341', at: at(4), source: 'reply' },
      { type: 'wave', at: at(5), phase: 'verdict', n: 1, of: 2, verdict: 'halt', detail: 'wave 1: 1/2 delivered, 1 failed, 1 opted out: 50% opted out' },
      { type: 'halt', at: at(5), reason: 'ramp-health', detail: 'wave 1' },
      { type: 'resume', at: at(6) },
      { type: 'wave', at: at(7), phase: 'verdict', n: 1, of: 2, verdict: 'ok', detail: 'wave 1: ok' },
      { type: 'wave', at: at(7), phase: 'start', n: 2, of: 2, size: 2, base: 4 },
      ...sent('+343', 7, 'c'),
      ...sent('+344', 7, 'd'),
      // A late callback about wave 1 counts for wave 1.
      { type: 'status', to: '+342', at: at(9), id: 'b', status: 'delivered' },
    ]);
    expect(r.waves).toEqual([
      { n: 1, size: 2, started: at(1), judged: at(7), verdict: 'ok', delivered: 2, failed: 0, opted_out: 1, detail: 'wave 1: ok' },
      { n: 2, size: 2, started: at(7), judged: null, verdict: null, delivered: 0, failed: 0, opted_out: 0, detail: null },
    ]);
    expect(r.halt).toBeNull();
    const html = renderHtml(r);
    expect(html).toContain('Canary waves');
    expect(html.match(/<line class="wave"/g)).toHaveLength(2);
    expect(html).toContain('not judged (last wave, or still running)');
  });

  it('a journal without waves has none', async () => {
    expect((await reduceReport([H, ...sent('+341', 1, 'a')])).waves).toEqual([]);
  });
});
