/** The one policy over the sender's health (core/campaign/health.ts). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { healthEvent, healthLine, judgeHealth, recordedHealthLine, refusalOf, refusedError, tierNote } from '../../../src/core/campaign/health.js';
import { summariseJournal } from '../../../src/core/journal/reader.js';
import type { SenderHealth } from '../../../src/core/providers/types.js';

const healthy: SenderHealth = { provider: 'cloud', read: 'ok', quality: 'GREEN', status: 'CONNECTED', tier: 'TIER_UNLIMITED', limit: 'unlimited', throughput: 'STANDARD', perSecond: 80 };
const base = { rate: 20, rateGiven: false, ignoreHealth: false };

describe('judgeHealth', () => {
  it('a healthy number changes nothing and warns of nothing', () => {
    expect(judgeHealth(healthy, base)).toEqual({ health: healthy, ignored: false, warnings: [], options: { rate: 20 } });
  });

  it('RED quality and every stopped status refuse; --ignore-health keeps the refusal on record and says so', () => {
    expect(refusalOf({ ...healthy, quality: 'RED' })).toMatch(/quality rating is RED/);
    for (const status of ['FLAGGED', 'RESTRICTED', 'BANNED', 'DISCONNECTED', 'PENDING']) expect(refusalOf({ ...healthy, status })).toMatch(new RegExp(`status is ${status}, not CONNECTED`));
    expect(refusalOf({ ...healthy, provider: 'twilio', status: 'SUSPENDED', quality: 'UNKNOWN' })).toMatch(/Twilio account is SUSPENDED/);
    const v = judgeHealth({ ...healthy, status: 'FLAGGED' }, { ...base, ignoreHealth: true });
    expect(v.refusal).toMatch(/FLAGGED/);
    expect(v.ignored).toBe(true);
    expect(v.warnings[0]).toMatch(/^--ignore-health: sending although/);
    expect(refusedError(judgeHealth({ ...healthy, quality: 'RED' }, base))).toMatchObject({ exitCode: 1, hint: expect.stringMatching(/--ignore-health/) });
  });

  it('unknown is never healthy but never refuses: an unknown status, an unknown spelling, a failed read', () => {
    expect(refusalOf({ ...healthy, status: 'UNKNOWN', quality: 'UNKNOWN' })).toBeUndefined();
    const odd = judgeHealth({ ...healthy, status: 'LINKED' }, base);
    expect(odd.refusal).toBeUndefined();
    expect(odd.warnings.join(' ')).toMatch(/LINKED is not one this version knows/);
    const failed = judgeHealth({ ...healthy, read: 'failed', error: 'HTTP 403', quality: 'RED' }, base);
    expect(failed.refusal).toBeUndefined();
    expect(failed.warnings[0]).toMatch(/Could not read the sender's health \(HTTP 403\)/);
    expect(healthLine({ ...healthy, quality: 'UNKNOWN', status: 'UNKNOWN', tier: 'UNKNOWN', limit: 'unknown', throughput: 'UNKNOWN', perSecond: 'unknown' }))
      .toBe('quality unknown, status unknown, tier unknown, throughput unknown');
  });

  it('YELLOW halves the default rate, keeps a rate the user gave, and warns either way', () => {
    const yellow = { ...healthy, quality: 'YELLOW' as const };
    const halved = judgeHealth(yellow, base);
    expect(halved.options.rate).toBe(10);
    expect(halved.warnings[0]).toMatch(/YELLOW.*halved to 10\/s/);
    expect(judgeHealth(yellow, { ...base, rate: 1 }).options.rate).toBe(1);
    const kept = judgeHealth(yellow, { ...base, rate: 30, rateGiven: true });
    expect(kept.options.rate).toBe(30);
    expect(kept.warnings[0]).toMatch(/YELLOW.*keeping the --rate 30/);
  });

  it('the tier is the default --daily-limit; an explicit one is kept (warned when above the tier)', () => {
    const tiered = { ...healthy, tier: 'TIER_250', limit: 250 };
    expect(judgeHealth(tiered, base).options.dailyLimit).toBe(250);
    expect(judgeHealth(tiered, { ...base, dailyLimit: 100 }).options.dailyLimit).toBe(100);
    const above = judgeHealth(tiered, { ...base, dailyLimit: 1000 });
    expect(above.options.dailyLimit).toBe(1000);
    expect(above.warnings[0]).toMatch(/above the messaging limit TIER_250/);
    expect(tierNote(judgeHealth(tiered, base), 400)).toMatch(/400 to send is more than the messaging limit TIER_250 allows \(250 recipients per 24 h\)/);
    expect(tierNote(judgeHealth(tiered, base), 250)).toBeUndefined();
    expect(tierNote(judgeHealth(healthy, base), 1_000_000)).toBeUndefined();
  });

  it('warns when --rate is above the throughput level', () => {
    expect(judgeHealth(healthy, { ...base, rate: 100, rateGiven: true }).warnings[0]).toMatch(/--rate 100\/s is above the number's throughput \(STANDARD: 80\/s\)/);
    expect(judgeHealth(healthy, { ...base, rate: 80, rateGiven: true }).warnings).toEqual([]);
  });

  it('a provider without a signal says so', () => {
    const none: SenderHealth = { ...healthy, provider: 'vonage', read: 'none', quality: 'UNKNOWN', status: 'UNKNOWN' };
    expect(judgeHealth(none, base).warnings).toEqual(['vonage gives no health signal: quality, status and messaging limit are unknown.']);
    expect(healthLine(none)).toBe('unknown (vonage gives no health signal)');
  });
});

describe('the health event in the journal', () => {
  it('is about no recipient: the reduction ignores it, the summary keeps the latest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'health-journal-'));
    try {
      const file = join(dir, 'j.jsonl');
      const header = { type: 'header', version: 1, campaign: 'c', at: '2025-01-01T10:00:00.000Z', contacts: { path: 'c.csv', sha256: 'x' }, template: null, provider: 'cloud', options: {} };
      const first = healthEvent(judgeHealth({ ...healthy, quality: 'YELLOW' }, base), '2025-01-01T09:00:00.000Z');
      const second = { ...healthEvent(judgeHealth({ ...healthy, tier: 'TIER_250', limit: 250 }, base), '2025-01-01T09:30:00.000Z'), to: '+34600000001' };
      const sent = { type: 'sent', to: '+34600000002', at: '2025-01-01T10:00:01.000Z', id: 'wamid.1' };
      writeFileSync(file, [header, first, sent, second].map((l) => JSON.stringify(l)).join('\n') + '\n');
      const s = await summariseJournal(file);
      expect(s.recipients).toBe(1);
      expect(s.sent).toBe(1);
      expect(s.firstAt).toBe('2025-01-01T10:00:01.000Z');
      expect(s.health).toMatchObject({ type: 'health', tier: 'TIER_250', limit: 250, quality: 'GREEN', ignored: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a recorded reading shown again (status, report)', () => {
  it('round-trips a reading the tool wrote', () => {
    const e = healthEvent(judgeHealth({ ...healthy, tier: 'TIER_250', limit: 250 }, base), '2025-01-01T09:00:00.000Z');
    const { type: _t, ...rest } = e;
    expect(recordedHealthLine(rest)).toBe(healthLine({ ...healthy, tier: 'TIER_250', limit: 250 }));
  });

  it('a hand-edited event with fields missing or of another type shows unknown, never "undefined"', () => {
    const bare = { at: '2025-01-01T09:00:00.000Z' } as never;
    expect(recordedHealthLine(bare)).toBe('quality unknown, status unknown, tier unknown, throughput unknown');
    const odd = { at: 'x', provider: 'cloud', read: 'ok', quality: 7, status: ['CONNECTED'], tier: null, limit: '1000', throughput: '', per_second: 'fast' } as never;
    const line = recordedHealthLine(odd);
    expect(line).not.toMatch(/undefined|null|\[object/);
    expect(line).toBe('quality unknown, status unknown, tier unknown, throughput unknown');
    expect(recordedHealthLine({ at: 'x', read: 'none' } as never)).toBe('unknown (unknown gives no health signal)');
  });
});
