/** What a late (or early, or repeated) provider callback means: the one rule, as a table. */
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../../src/core/journal/format.js';
import { countJournal, JournalReducer } from '../../../src/core/journal/state.js';

const at = (s: number) => new Date(Date.parse('2025-03-05T09:00:00.000Z') + s * 1000).toISOString();
const A: JournalEvent = { type: 'attempt', to: '+1', at: at(0) };
const S: JournalEvent = { type: 'sent', to: '+1', at: at(1), id: 'm1' };
const F: JournalEvent = { type: 'failed', to: '+1', at: at(1), code: '131026', permanent: true };
const FR: JournalEvent = { type: 'failed', to: '+1', at: at(1), code: '131056', permanent: false };
const st = (status: 'sent' | 'delivered' | 'read' | 'failed', s = 10, code?: number): JournalEvent =>
  ({ type: 'status', to: '+1', at: at(s), id: 'm1', status, ...(code ? { code } : {}) });

// [case, events, state, delivered, read, final failure code]
const TABLE: [string, JournalEvent[], string, boolean, boolean, string | undefined][] = [
  ['failed after sent is failed', [A, S, st('failed', 10, 131049)], 'failed', false, false, '131049'],
  ['failed without a code after sent is failed (code unknown)', [A, S, st('failed')], 'failed', false, false, 'unknown'],
  ['read implies delivered', [A, S, st('read')], 'sent', true, true, undefined],
  ['delivered', [A, S, st('delivered')], 'sent', true, false, undefined],
  ['failed after delivered stays delivered', [A, S, st('delivered'), st('failed', 20, 131049)], 'sent', true, false, undefined],
  ['failed after read stays delivered (and read)', [A, S, st('read'), st('failed', 20)], 'sent', true, true, undefined],
  ['out of order: delivered written after failed', [A, S, st('failed', 20), st('delivered', 10)], 'sent', true, false, undefined],
  ['out of order: read before delivered', [A, S, st('read', 20), st('delivered', 10)], 'sent', true, true, undefined],
  ['out of order: callback before the send wrote sent', [A, st('delivered'), S], 'sent', true, false, undefined],
  ['out of order: failed callback before the send wrote sent', [A, st('failed', 10, 131049), S], 'failed', false, false, '131049'],
  ['uncertain settled by a sent callback', [A, st('sent')], 'sent', false, false, undefined],
  ['uncertain settled by delivered', [A, st('delivered')], 'sent', true, false, undefined],
  ['uncertain settled by a failed callback', [A, st('failed', 10, 131026)], 'failed', false, false, '131026'],
  ['uncertain stays uncertain without a callback', [A], 'uncertain', false, false, undefined],
  ['the same callback twice counts once', [A, S, st('delivered'), st('delivered', 11)], 'sent', true, false, undefined],
  ['a delivered callback outweighs the send\'s own failure', [A, F, st('delivered')], 'sent', true, false, undefined],
  ['a failed callback keeps a retryable failure failed, now for good', [A, FR, st('failed', 10, 131049)], 'failed', false, false, '131049'],
  ['a sent callback after a permanent failure: accepted after all', [A, F, st('sent')], 'sent', false, false, undefined],
];

describe('late callbacks (JournalReducer)', () => {
  it.each(TABLE)('%s', (_name, events, state, delivered, read, code) => {
    const red = new JournalReducer();
    for (const e of events) red.add(e);
    const r = red.recipients.get('+1')!;
    expect(r.state).toBe(state);
    expect(r.lastCode).toBe(code);
    const c = countJournal(red, null);
    // Exactly one bucket per recipient; delivered ⊆ sent, read ⊆ delivered.
    expect(c.sent + c.failed + c.uncertain + c.skipped + c.pending).toBe(1);
    expect([c.delivered, c.read]).toEqual([Number(delivered), Number(read)]);
    if (code) expect(Object.fromEntries(c.failuresByCode)).toEqual({ [code]: 1 });
  });
});

describe('opted out', () => {
  it.each([
    ['an optout event', { type: 'optout', to: '+1', at: at(0), source: 'keyword' }],
    ['a skip because they opted out', { type: 'skipped', to: '+1', at: at(0), reason: 'opted-out' }],
    ['an opt-out code from the provider', { type: 'failed', to: '+1', at: at(0), code: '131050', permanent: true }],
    ['an opt-out code in a failed callback', { type: 'status', to: '+1', at: at(0), id: 'm1', status: 'failed', code: 21610 }],
  ] as [string, JournalEvent][])('%s', (_name, e) => {
    const red = new JournalReducer();
    red.add(e);
    expect(red.recipients.get('+1')?.optedOut).toBe(true);
    expect(countJournal(red, null).optedOut).toBe(1);
  });
});
