import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport, reduceReport } from '../../../src/core/report/index.js';
import type { JournalLine } from '../../../src/core/journal/format.js';
import { sampleJournal, writeJournal } from './journal-fixture.js';

const H: JournalLine = {
  type: 'header', version: 1, campaign: 'c1', at: '2025-03-05T09:00:00.000Z',
  contacts: { path: 'c.csv', sha256: 'x' }, template: null, provider: 'cloud', options: {},
};
const at = (s: number) => new Date(Date.parse('2025-03-05T09:00:00.000Z') + s * 1000).toISOString();
const CONTRACT_KEYS = ['selected', 'sent', 'delivered', 'read', 'failed', 'uncertain', 'skipped', 'opted_out', 'failures', 'halt'];

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'report-'));
}

describe('reduceReport', () => {
  it('counts each outcome per recipient as the contract defines it', async () => {
    const r = await reduceReport([
      H,
      { type: 'attempt', to: '+1', at: at(1) }, { type: 'sent', to: '+1', at: at(1), id: 'a' },
      { type: 'status', to: '+1', at: at(5), id: 'a', status: 'delivered' },
      { type: 'status', to: '+1', at: at(9), id: 'a', status: 'read' },
      { type: 'attempt', to: '+2', at: at(2) }, { type: 'sent', to: '+2', at: at(2), id: 'b' },
      { type: 'status', to: '+2', at: at(6), id: 'b', status: 'delivered' },
      { type: 'attempt', to: '+3', at: at(3) }, { type: 'failed', to: '+3', at: at(3), code: '131026', permanent: true },
      { type: 'attempt', to: '+4', at: at(4) }, // uncertain
      { type: 'skipped', to: '+5', at: at(4), reason: 'outside-window' },
      { type: 'skipped', to: '+6', at: at(4), reason: 'filtered_out' }, // not selected
      { type: 'attempt', to: '+7', at: at(5) }, { type: 'failed', to: '+7', at: at(5), code: '131050', permanent: true },
      // retried after a transient failure, then sent: not a failure
      { type: 'attempt', to: '+8', at: at(6) }, { type: 'failed', to: '+8', at: at(6), code: '130429', permanent: false },
      { type: 'attempt', to: '+8', at: at(7) }, { type: 'sent', to: '+8', at: at(7), id: 'h' },
      // accepted, then failed at delivery: failed, no longer sent (journal/state.ts settle)
      { type: 'attempt', to: '+9', at: at(8) }, { type: 'sent', to: '+9', at: at(8), id: 'i' },
      { type: 'status', to: '+9', at: at(20), id: 'i', status: 'failed', code: 131049 },
      // retryable failure left for resume
      { type: 'attempt', to: '+10', at: at(9) }, { type: 'failed', to: '+10', at: at(9), code: '131056', permanent: false },
      { type: 'optout', to: '+2', at: at(30), source: 'keyword' },
    ]);
    expect(Object.keys(r).slice(0, 10)).toEqual(CONTRACT_KEYS);
    expect(r).toMatchObject({
      selected: 8, sent: 3, delivered: 2, read: 1, failed: 4, uncertain: 1, skipped: 1, opted_out: 2, halt: null,
      failed_retryable: 1, pending: 0, campaign: 'c1', provider: 'cloud',
    });
    expect(r.failures.map((f) => [f.code, f.count])).toEqual([['131026', 1], ['131049', 1], ['131050', 1], ['131056', 1]]);
    const f131050 = r.failures.find((f) => f.code === '131050')!;
    expect(f131050.meaning).toMatch(/stopped marketing/);
    expect(f131050.action).toMatch(/opted out/);
    expect(r.failures.reduce((s, f) => s + f.count, 0)).toBe(r.failed);
  });

  it('halt is the last halt reason, cleared by a later resume', async () => {
    const halted = await reduceReport([H, { type: 'halt', at: at(1), reason: 'spam rate limit (131048)', code: '131048' }]);
    expect(halted.halt).toBe('spam rate limit (131048)');
    expect(halted.halt_code).toBe('131048');
    const resumed = await reduceReport([H, { type: 'halt', at: at(1), reason: 'x' }, { type: 'resume', at: at(2) }]);
    expect(resumed.halt).toBeNull();
    expect(resumed.halts).toHaveLength(1);
  });

  it('a pause is not a halt: paused, resumable, until; an old journal\'s halt for the daily limit reads as a pause', async () => {
    const until = at(3600);
    const paused = await reduceReport([H, { type: 'sent', to: '+1', at: at(1), id: 'a' }, { type: 'pause', at: at(2), reason: 'daily-limit', until }]);
    expect(paused).toMatchObject({ halt: null, halt_code: null, halts: [], paused: { reason: 'daily-limit', until } });
    const old = await reduceReport([H, { type: 'halt', at: at(2), reason: 'window' }]);
    expect(old).toMatchObject({ halt: null, halts: [], paused: { reason: 'window', until: null } });
    const resumed = await reduceReport([H, { type: 'pause', at: at(2), reason: 'window', until }, { type: 'resume', at: at(4000) }]);
    expect(resumed.paused).toBeNull();
  });

  it('describes each failure code from the providers\' table, and says so when a code is unknown', async () => {
    const lines: JournalLine[] = [H,
      { type: 'attempt', to: '+1', at: at(1) }, { type: 'failed', to: '+1', at: at(1), code: '131026', permanent: true },
      { type: 'attempt', to: '+2', at: at(1) }, { type: 'failed', to: '+2', at: at(1), code: '999999', permanent: true },
      { type: 'attempt', to: '+3', at: at(1) }, { type: 'failed', to: '+3', at: at(1), code: '131047', permanent: true }];
    const r = await reduceReport(lines);
    expect(r.failures.find((f) => f.code === '131026')!.meaning).toMatch(/not a WhatsApp number/);
    expect(r.failures.find((f) => f.code === '131047')!.meaning).toMatch(/24 h/);
    expect(r.failures.find((f) => f.code === '999999')!.meaning).toMatch(/not in the built-in table/);
  });

  it('buckets sends per minute', async () => {
    const r = await reduceReport([H,
      { type: 'sent', to: '+1', at: '2025-03-05T09:00:10.000Z', id: 'a' },
      { type: 'sent', to: '+2', at: '2025-03-05T09:00:50.000Z', id: 'b' },
      { type: 'sent', to: '+3', at: '2025-03-05T09:03:01.000Z', id: 'c' },
      { type: 'failed', to: '+4', at: '2025-03-05T09:03:02.000Z', code: '1', permanent: true }]);
    expect(r.timeline).toEqual([
      { minute: '2025-03-05T09:00:00.000Z', sent: 2, failed: 0 },
      { minute: '2025-03-05T09:03:00.000Z', sent: 1, failed: 1 },
    ]);
    expect(r.started).toBe('2025-03-05T09:00:00.000Z');
    expect(r.ended).toBe('2025-03-05T09:03:02.000Z');
  });

  it("counts the plan's selected recipients not reached yet as pending", async () => {
    const r = await reduceReport([{ ...H, options: { selected: 10 } } as JournalLine, { type: 'sent', to: '+1', at: at(1), id: 'a' }]);
    expect(r.selected).toBe(10);
    expect(r.pending).toBe(9);
  });
});

describe('buildReport', () => {
  it('reads a journal file, ignores a torn last line and reads the opt-outs list', async () => {
    const dir = tmp();
    const journal = join(dir, 'j.jsonl');
    writeJournal(journal, [H,
      { type: 'attempt', to: '+34600000001', at: at(1) }, { type: 'sent', to: '+34600000001', at: at(1), id: 'a' },
      { type: 'attempt', to: '+34600000002', at: at(2) }, { type: 'sent', to: '+34600000002', at: at(2), id: 'b' },
    ], '{"type":"sent","to":"+346000');
    const optouts = join(dir, 'optouts.txt');
    writeFileSync(optouts, '# opt-outs\n+34600000002\n');
    const r = await buildReport(journal, { optoutsFile: optouts });
    expect(r).toMatchObject({ selected: 2, sent: 2, opted_out: 1, unreadable_lines: 1 });
    const noFile = await buildReport(journal, { optoutsFile: join(dir, 'missing.txt') });
    expect(noFile.opted_out).toBe(0);
  });

  it('a missing journal is an input error naming the file', async () => {
    const p = join(tmp(), 'nope.jsonl');
    await expect(buildReport(p)).rejects.toMatchObject({ exitCode: 2, file: p });
  });

  it('the sample journal adds up', async () => {
    const dir = tmp();
    const journal = join(dir, 'j.jsonl');
    writeJournal(journal, sampleJournal({ n: 240, halt: 'Spam rate limit hit' }));
    const r = await buildReport(journal);
    expect(r.selected).toBe(240);
    // One bucket per recipient: a failed callback after sent is failed only (after delivered, it is ignored).
    expect(r.sent + r.failed + r.uncertain + r.pending).toBe(r.selected);
    expect(r.halt).toBe('Spam rate limit hit');
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});
