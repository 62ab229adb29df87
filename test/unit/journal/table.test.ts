/**
 * The reduction keeps its recipients packed by number (journal/table.ts). Checked against the
 * plainest reduction there is: one object per recipient in a Map, the rules as they were before
 * the packing (an oracle written here, not imported), over random journals with every event kind,
 * hand-written keys, odd times, many recipients (the index grows) and a worker thread's round trip.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../../src/core/journal/format.js';
import { countJournal, JournalReducer, type RecipientRecord } from '../../../src/core/journal/state.js';
import { RecipientTable } from '../../../src/core/journal/table.js';
import { OPT_OUT_CODES } from '../../../src/core/providers/index.js';

const REACH: Record<string, number> = { sent: 1, delivered: 2, read: 3 };
const code = (v: unknown) => (v === undefined || v === null || v === '' ? 'unknown' : String(v).trim());

/** The oracle: records in a Map, folded with the state table of state.ts's `settle`. */
function oracle(events: JournalEvent[]): Map<string, RecipientRecord> {
  const m = new Map<string, RecipientRecord>();
  for (const e of events) {
    if (e.type === 'health' || e.type === 'halt' || e.type === 'pause' || e.type === 'resume') continue;
    const to = (e as { to?: unknown }).to;
    if (typeof to !== 'string' || to === '') continue;
    let r = m.get(to);
    if (!r) m.set(to, (r = { state: 'pending', attempts: 0, outcome: null, open: false, reach: 0, callbackFailed: false, filtered: false }));
    const at = typeof e.at === 'string' ? Date.parse(e.at) : NaN;
    if (!Number.isNaN(at) && (r.lastAtMs === undefined || at > r.lastAtMs)) r.lastAtMs = at;
    if (e.type === 'attempt') {
      Object.assign(r, { open: true, filtered: false, attempts: r.attempts + 1, lastAttemptAt: Date.parse(String(e.at)) });
    } else if (e.type === 'sent') {
      Object.assign(r, { open: false, filtered: false, outcome: 'sent' });
      r.lastAttemptAt ??= Date.parse(String(e.at));
    } else if (e.type === 'failed') {
      Object.assign(r, { open: false, filtered: false });
      if (OPT_OUT_CODES.has(code(e.code))) r.optedOut = true;
      if (r.outcome !== 'sent') Object.assign(r, { outcome: e.permanent === false ? 'failed-retryable' : 'failed', failCode: code(e.code) });
    } else if (e.type === 'skipped') {
      const reason = String(e.reason ?? 'skipped');
      if (/opt(?:ed)?[-_ ]?out|unsubscrib/i.test(reason)) r.optedOut = true;
      if (/^filter|filtered/i.test(reason) && r.outcome === null && !r.open && r.reach === 0 && !r.callbackFailed) r.filtered = true;
      else {
        r.filtered = false;
        if (!r.open && (r.outcome === null || r.outcome === 'failed-retryable' || r.outcome === 'skipped')) Object.assign(r, { outcome: 'skipped', skipReason: reason });
      }
    } else if (e.type === 'status') {
      r.filtered = false;
      if (e.status === 'failed') {
        Object.assign(r, { callbackFailed: true, callbackCode: code(e.code) });
        if (OPT_OUT_CODES.has(r.callbackCode!)) r.optedOut = true;
      } else r.reach = Math.max(r.reach, REACH[e.status] ?? 0);
    } else if (e.type === 'optout') {
      Object.assign(r, { filtered: false, optedOut: true });
    }
    if (r.reach >= 2) Object.assign(r, { state: 'sent', lastCode: undefined });
    else if (r.callbackFailed) Object.assign(r, { state: 'failed', lastCode: r.callbackCode ?? r.failCode ?? 'unknown' });
    else if (r.reach > 0) Object.assign(r, { state: 'sent', lastCode: undefined });
    else if (r.open) Object.assign(r, { state: 'uncertain', lastCode: undefined });
    else if (r.outcome === null) r.state = 'pending';
    else Object.assign(r, { state: r.outcome, lastCode: r.outcome === 'failed' || r.outcome === 'failed-retryable' ? (r.failCode ?? 'unknown') : undefined });
  }
  return m;
}

/** A record with its absent fields dropped, as the oracle builds them. */
const plain = (r: RecipientRecord | undefined) => r && Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));

const TO = ['+34600000001', '+34600000002', '+1', '+999999999999999', '+034600000001', '34600000001', '+34 600 000 004', '+1234567890123456', '+', '+١٢٣', 'x'];
const AT = ['2026-03-01T09:00:00.000Z', '2026-03-01T09:00:00.999Z', '2026-03-01T23:59:59.001Z', '2026-03-01T24:00:00.500Z', '2026-03-01T09:00:00Z', 'yesterday', ''];
const to = fc.oneof(fc.constantFrom(...TO), fc.integer({ min: 1, max: 5000 }).map((i) => `+3461${String(i).padStart(7, '0')}`));
const at = fc.constantFrom(...AT);
const codes = fc.constantFrom('131026', '131049', '131050', '21610', ' 63024 ', 131047, '');
const event: fc.Arbitrary<JournalEvent> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('attempt' as const), to, at, line: fc.nat(50) }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('sent' as const), to, at, id: fc.constant('wamid.A') }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('failed' as const), to, at, code: codes, permanent: fc.boolean() }) },
  fc.record({ type: fc.constant('skipped' as const), to, at, reason: fc.constantFrom('no-consent', 'filtered-out', 'opted-out', 'suppressed', 'hand-written', 'Opt out') }),
  { weight: 2, arbitrary: fc.record({ type: fc.constant('status' as const), to, at, id: fc.constant('wamid.A'), status: fc.constantFrom('sent', 'delivered', 'read', 'failed', 'deleted'), code: codes }) },
  fc.record({ type: fc.constant('optout' as const), to, at, source: fc.constant('keyword') }),
  fc.record({ type: fc.constant('halt' as const), at, reason: fc.constant('failure-rate') }),
) as fc.Arbitrary<JournalEvent>;

function compare(table: RecipientTable, expected: Map<string, RecipientRecord>): void {
  expect(table.size).toBe(expected.size);
  // The same recipients, in the order the journal first named them, with the same records.
  expect([...table.entries()].map(([k, r]) => [k, plain(r)])).toEqual([...expected].map(([k, r]) => [k, plain(r)]));
  // Every recipient found again by its number (through the index, however often it grew), and absent ones not.
  for (const [k, r] of expected) expect(plain(table.get(k)), k).toEqual(plain(r));
  for (const k of [...TO, '+34610000000', '+3461', '+34610005001', '+0', '']) expect(plain(table.get(k)), k).toEqual(plain(expected.get(k)));
}

describe('the reduction packed by number', () => {
  it('holds what a Map of records holds, for random journals (every kind, odd keys and times, thousands of recipients)', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 3000 }), (events) => {
        const red = new JournalReducer();
        for (const e of events) red.add(e);
        compare(red.recipients, oracle(events));
      }),
      { numRuns: 120 },
    );
  });

  it('moves to another thread whole: the same records and lookups after a transfer', () => {
    const events: JournalEvent[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = i % 7 === 0 ? TO[i % TO.length] : `+3461${String(i * 7919 % 100_000).padStart(7, '0')}`;
      events.push({ type: 'attempt', to: t, at: AT[i % AT.length] });
      if (i % 3) events.push(i % 5 ? { type: 'sent', to: t, at: AT[0], id: 'w' } : { type: 'failed', to: t, at: AT[1], code: '131026', permanent: i % 2 === 0 });
      // Skips of the send's reasons (kept as a byte) and of others (kept as strings).
      else if (i % 4 === 0) events.push({ type: 'skipped', to: `+3462${String(i).padStart(7, '0')}`, at: AT[0], reason: i % 8 ? 'no-consent' : 'hand-written' });
    }
    const red = new JournalReducer();
    for (const e of events) red.add(e);
    const counts = countJournal(red, null);
    const { packed, transfer } = red.recipients.pack();
    // What postMessage does: the buffers move, the rest is cloned.
    const moved = new RecipientTable(structuredClone(packed, { transfer }));
    expect(transfer.every((b) => b.byteLength === 0)).toBe(true);
    compare(moved, oracle(events));
    const again = new JournalReducer();
    Object.defineProperty(again, 'recipients', { value: moved });
    expect(countJournal(again, null)).toEqual(counts);
  });

  it('never takes two strings for one number', () => {
    const t = new RecipientTable();
    const keys = ['+34600000001', '+034600000001', '34600000001', '+34600000001 ', '+3460000000１', '+1', '+01', '+10'];
    const slots = keys.map((k) => t.slot(k));
    expect(new Set(slots).size).toBe(keys.length);
    keys.forEach((k, i) => expect(t.find(k)).toBe(slots[i]));
    expect(keys.map((_, i) => t.nameOf(slots[i]))).toEqual(keys);
    expect(t.find('+34600000002')).toBe(-1);
  });
});
