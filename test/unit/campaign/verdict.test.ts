import { describe, expect, it } from 'vitest';
import { decide, Tally, type PlannedRow, type VerdictContext } from '../../../src/core/campaign/verdict.js';
import type { RecipientRecord } from '../../../src/core/journal/reader.js';
import type { Bucket } from '../../../src/core/findings.js';

const A = '+34612000001';
const row = (bucket: Bucket, phone: string | null = A, extra: Partial<PlannedRow> = {}): PlannedRow => ({ line: 2, bucket, ...(phone ? { phone } : {}), record: {}, ...extra });
const state = (s: RecipientRecord['state'], extra: Partial<RecipientRecord> = {}): RecipientRecord => ({ state: s, attempts: 1, ...extra });
const journal = (r: RecipientRecord) => ({ plan: (to: string) => (to === A ? r : undefined) });
const recent = () => Date.parse('2026-11-30T10:00:00Z');

describe('decide: one verdict per row and journal state', () => {
  it.each<[string, PlannedRow, VerdictContext, string]>([
    ['a sendable row, nothing known', row('sendable'), {}, 'send'],
    ['no consent', row('no_consent'), {}, 'skip no-consent'],
    ['invalid phone with no number', row('invalid_phone', null), {}, 'none'],
    ['a service number', row('invalid_phone'), {}, 'skip invalid-phone'],
    ['suppressed', row('suppressed'), {}, 'skip suppressed'],
    ['filtered out', row('filtered_out'), {}, 'skip filtered-out'],
    ['missing variable', row('missing_variable'), {}, 'skip missing-variable'],
    ['a duplicate row', row('duplicate'), {}, 'none'],
    ['a skip the journal already has', row('no_consent'), { states: journal(state('skipped')) }, 'none'],
    ['sent before', row('sendable'), { states: journal(state('sent')) }, 'done'],
    ['failed for good', row('sendable'), { states: journal(state('failed')) }, 'done'],
    ['failed for now: sent again', row('sendable'), { states: journal(state('failed-retryable')) }, 'send'],
    ['uncertain', row('sendable'), { states: journal(state('uncertain')) }, 'done uncertain'],
    ['uncertain with --resend-uncertain', row('sendable'), { states: journal(state('uncertain')), resendUncertain: true }, 'send'],
    ['opted out in the journal', row('sendable'), { states: journal(state('failed-retryable', { optedOut: true })) }, 'done'],
    ['skipped before, sendable now', row('sendable'), { states: journal(state('skipped')) }, 'send'],
    ['consent taken back by a later row', row('sendable'), { revoked: new Set([A]) }, 'skip consent-conflict'],
    ['taken back, but already sent', row('sendable'), { revoked: new Set([A]), states: journal(state('sent')) }, 'done'],
    ['messaged by another campaign recently', row('sendable'), { lastMessaged: recent }, 'skip recently-messaged'],
    ['recent elsewhere, but this journal knows them', row('sendable'), { lastMessaged: recent, states: journal(state('failed-retryable')) }, 'send'],
    ['taken back and recent: the conflict wins', row('sendable'), { lastMessaged: recent, revoked: new Set([A]) }, 'skip consent-conflict'],
  ])('%s → %s', (_name, r, ctx, expected) => {
    const v = decide(r, ctx);
    const got = v.action === 'skip' ? `skip ${v.reason}` : v.action === 'done' && v.uncertain ? 'done uncertain' : v.action;
    expect(got).toBe(expected);
  });
});

describe('Tally: the counts lint prints are the counts a send plans', () => {
  const B = '+34612000002';
  it('counts every row once, in the contract buckets, and what a send would do', () => {
    const known = new Map([[B, state('sent')]]);
    const ctx: VerdictContext = { states: { plan: (to) => known.get(to) } };
    const t = new Tally(ctx);
    for (const r of [row('sendable'), row('sendable', B), row('no_consent', '+34612000003'), row('duplicate'), row('invalid_phone', null)]) t.add(decide(r, ctx));
    expect(t.counts).toMatchObject({ rows: 5, sendable: 2, no_consent: 1, duplicate: 1, invalid_phone: 1 });
    expect([t.toSend, t.alreadyDone]).toEqual([1, 1]);
    expect(t.skipped).toEqual({ no_consent: 1, duplicate: 1, invalid_phone: 1 });
  });

  it('a later "no" moves the earlier "yes" from sendable to no_consent, once', () => {
    const ctx: VerdictContext = {};
    const t = new Tally(ctx);
    t.add(decide(row('sendable'), ctx));
    t.add(decide(row('no_consent', A, { line: 5, revokes: 2 }), ctx));
    t.add(decide(row('no_consent', A, { line: 6, revokes: 2 }), ctx));
    expect(t.counts).toMatchObject({ rows: 3, sendable: 0, no_consent: 3 });
    expect(t.toSend).toBe(0);
    expect([...t.revoked]).toEqual([A]);
  });

  it('with --min-interval, a taken-back recent recipient leaves recently_messaged', () => {
    const ctx: VerdictContext = { lastMessaged: recent };
    const t = new Tally(ctx);
    t.add(decide(row('sendable'), ctx));
    expect(t.counts).toMatchObject({ sendable: 0, recently_messaged: 1 });
    t.add(decide(row('no_consent', A, { revokes: 2 }), ctx));
    expect(t.counts).toMatchObject({ rows: 2, sendable: 0, recently_messaged: 0, no_consent: 2 });
    expect(t.skipped).toEqual({ recent: 0, no_consent: 2 });
  });
});
