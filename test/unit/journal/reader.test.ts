import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import type { JournalEvent } from '../../../src/core/journal/format.js';
import { readJournal, reduceJournal, summariseJournal } from '../../../src/core/journal/reader.js';

const header = {
  type: 'header',
  version: 1,
  campaign: 'c',
  at: '2025-01-01T00:00:00.000Z',
  contacts: { path: 'c.csv', sha256: 'x' },
  template: null,
  provider: 'sandbox',
  options: {},
};
const H = JSON.stringify(header);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'journal-reader-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('readJournal', () => {
  it('skips blank lines and a torn last line', async () => {
    const p = file('a.jsonl', `${H}\n\n{"type":"attempt","to":"+1","at":"a"}\n\n{"type":"sent","to":"+1","at":"b","id":"x"}\n{"type":"att`);
    const r = await readJournal(p);
    expect(r.torn).toBe(true);
    expect(r.events.map((e) => e.type)).toEqual(['attempt', 'sent']);
  });

  it('an unparsable last line that ends with a newline is torn too (NUL-filled tails, partial flush)', async () => {
    const p = file('b.jsonl', `${H}\n{"type":"attempt","to":"+1","at":"a"}\n{"type":\n\0\0\0\n`);
    const r = await readJournal(p);
    expect(r.torn).toBe(true);
    expect(r.events).toHaveLength(1);
  });

  it('a complete last line without a newline is an event, not torn', async () => {
    const p = file('c.jsonl', `${H}\n{"type":"attempt","to":"+1","at":"a"}`);
    const r = await readJournal(p);
    expect(r.torn).toBe(false);
    expect(r.events).toHaveLength(1);
  });

  it('an unparsable line in the middle is an InputError naming the line', async () => {
    const p = file('d.jsonl', `${H}\n{"type":"attempt","to":"+1","at":"a"}\nnot json\n{"type":"sent","to":"+1","at":"b","id":"x"}\n`);
    const err = await readJournal(p).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.line).toBe(3);
    expect(err.message).toContain('line 3');
  });

  it('a first line that is not a header is an InputError; an empty file too', async () => {
    await expect(readJournal(file('e.jsonl', `{"type":"attempt","to":"+1","at":"a"}\n`))).rejects.toThrow(/should be the header/);
    await expect(readJournal(file('f.jsonl', ''))).rejects.toThrow(/empty/);
  });
});

const at = '2025-01-01T10:00:00.000Z';
const A = (to: string): JournalEvent => ({ type: 'attempt', to, at });
const S = (to: string, id = 'wamid.x'): JournalEvent => ({ type: 'sent', to, at, id });
const F = (to: string, permanent: boolean, code = '131026'): JournalEvent => ({ type: 'failed', to, at, code, permanent });
const K = (to: string): JournalEvent => ({ type: 'skipped', to, at, reason: 'suppressed' });
const ST = (to: string, status: 'sent' | 'delivered' | 'read' | 'failed'): JournalEvent => ({ type: 'status', to, at, id: 'wamid.cb', status });

describe('reduceJournal', () => {
  const cases: Array<[string, JournalEvent[], string, number]> = [
    ['attempt without outcome', [A('+1')], 'uncertain', 1],
    ['attempt then sent', [A('+1'), S('+1')], 'sent', 1],
    ['attempt then failed permanent', [A('+1'), F('+1', true)], 'failed', 1],
    ['attempt then failed non-permanent', [A('+1'), F('+1', false)], 'failed-retryable', 1],
    ['retried: two attempts then sent', [A('+1'), A('+1'), S('+1')], 'sent', 2],
    ['failed-retryable then a later attempt with no outcome', [A('+1'), F('+1', false), A('+1')], 'uncertain', 2],
    ['skipped', [K('+1')], 'skipped', 0],
    ['uncertain resolved by delivered', [A('+1'), ST('+1', 'delivered')], 'sent', 1],
    ['uncertain resolved by read', [A('+1'), ST('+1', 'read')], 'sent', 1],
    ['uncertain resolved by status sent', [A('+1'), ST('+1', 'sent')], 'sent', 1],
    ['uncertain resolved by status failed', [A('+1'), ST('+1', 'failed')], 'failed', 1],
    // Late callbacks: the whole table is in late-callbacks.test.ts.
  ];
  it.each(cases)('%s', (_name, events, state, attempts) => {
    const m = reduceJournal(events);
    expect(m.get('+1')).toMatchObject({ state, attempts });
  });

  it('a hand-edited line whose time is missing or no string is read, not a crash', () => {
    const m = reduceJournal([{ type: 'attempt', to: '+4' } as unknown as JournalEvent, { type: 'sent', to: '+4', at: 5, id: 'w' } as unknown as JournalEvent]);
    expect(m.get('+4')).toMatchObject({ state: 'sent', attempts: 1, lastAttemptAt: NaN });
  });

  it('keeps lastCode, opt-outs, the latest time and halts apart', () => {
    const m = reduceJournal([
      { type: 'attempt', to: '+2', at, line: 7 },
      F('+2', true, '131050'),
      { type: 'optout', to: '+2', at, source: 'provider:131050' },
      { type: 'halt', at, reason: 'failure-rate' },
      A('+3'),
      S('+3', 'wamid.3'),
    ]);
    expect(m.get('+2')).toMatchObject({ state: 'failed', lastCode: '131050', optedOut: true, lastAtMs: Date.parse(at) });
    expect(m.get('+3')).toMatchObject({ state: 'sent', attempts: 1, lastAttemptAt: Date.parse(at) });
    expect(m.size).toBe(2);
  });
});

describe('summariseJournal', () => {
  it('counts states, codes, halts and the daily-limit times', async () => {
    const ev: JournalEvent[] = [
      { type: 'attempt', to: '+1', at: '2025-01-01T10:00:00.000Z' },
      S('+1'),
      { type: 'attempt', to: '+2', at: '2025-01-01T10:00:01.000Z' },
      F('+2', true, '131026'),
      { type: 'attempt', to: '+3', at: '2025-01-01T10:00:02.000Z' },
      F('+3', false, '131049'),
      { type: 'attempt', to: '+4', at: '2025-01-01T10:00:03.000Z' },
      K('+5'),
      { type: 'halt', at: '2025-01-01T10:00:04.000Z', reason: 'provider-stop', code: '131031' },
    ];
    const p = file('s.jsonl', `${H}\n${ev.map((e) => JSON.stringify(e)).join('\n')}\n`);
    const s = await summariseJournal(p);
    expect(s).toMatchObject({ sent: 1, failed: 1, failedRetryable: 1, uncertain: 1, skipped: 1, attempts: 4, recipients: 5, torn: false });
    expect(s.halts).toEqual([expect.objectContaining({ reason: 'provider-stop', code: '131031' })]);
    expect(Object.fromEntries(s.failuresByCode)).toEqual({ '131026': 1, '131049': 1 });
    expect(s.firstAt).toBe('2025-01-01T10:00:00.000Z');
    expect(s.lastAt).toBe('2025-01-01T10:00:04.000Z');
    // sent and uncertain recipients count against the daily limit, at their last attempt.
    const counted = [...s.states.entries()].filter(([, r]) => r.state === 'sent' || r.state === 'uncertain').map(([to, r]) => [to, r.lastAttemptAt]);
    expect(counted).toEqual([['+1', Date.parse('2025-01-01T10:00:00.000Z')], ['+4', Date.parse('2025-01-01T10:00:03.000Z')]]);
  });

  it('summarises a 1,000,000-recipient journal quickly', async () => {
    const p = join(dir, 'big.jsonl');
    const ws = createWriteStream(p);
    ws.write(`${H}\n`);
    const parts: string[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      const to = `+34${600000000 + i}`;
      parts.push(`{"type":"attempt","to":"${to}","at":"2025-01-01T10:00:00.000Z","line":${i + 2},"n":1}\n`);
      if (i % 10 !== 0) parts.push(`{"type":"sent","to":"${to}","at":"2025-01-01T10:00:00.500Z","id":"wamid.${i}"}\n`);
      if (parts.length >= 10_000) {
        ws.write(parts.join(''));
        parts.length = 0;
      }
    }
    ws.write(parts.join(''));
    await new Promise<void>((resolve, reject) => ws.end((err?: Error | null) => (err ? reject(err) : resolve())));
    const t0 = performance.now();
    const s = await summariseJournal(p);
    const ms = performance.now() - t0;
    console.log(`summariseJournal: 1,000,000 recipients / 1.9M lines in ${Math.round(ms)} ms`);
    expect(s.recipients).toBe(1_000_000);
    expect(s.sent).toBe(900_000);
    expect(s.uncertain).toBe(100_000);
    expect(s.attempts).toBe(1_000_000);
    expect(ms).toBeLessThan(15_000);
  }, 60_000);
});

describe('parseOwnLine (the fast path for the dispatcher\'s own lines)', () => {
  it('agrees with JSON.parse or declines', async () => {
    const { parseOwnLine } = await import('../../../src/core/journal/reader.js');
    const fcm = (await import('fast-check')).default;
    const event = fcm.oneof(
      fcm.record({ type: fcm.constant('attempt'), to: fcm.string(), at: fcm.string(), line: fcm.nat(), n: fcm.nat() }, { requiredKeys: ['type', 'to', 'at'] }),
      fcm.record({ type: fcm.constant('sent'), to: fcm.string(), at: fcm.string(), id: fcm.string() }),
      fcm.record({ type: fcm.constant('sent'), to: fcm.string(), id: fcm.string(), at: fcm.string() }),
      fcm.record({ type: fcm.constant('skipped'), to: fcm.string(), at: fcm.string(), reason: fcm.string(), line: fcm.nat() }, { requiredKeys: ['type', 'to', 'at', 'reason'] }),
      fcm.record({ type: fcm.constant('skipped'), to: fcm.string(), at: fcm.string(), line: fcm.nat(), reason: fcm.string() }),
    );
    fcm.assert(
      fcm.property(event, (e) => {
        const text = JSON.stringify(e);
        const fast = parseOwnLine(text);
        if (fast !== undefined) expect(fast).toEqual(JSON.parse(text));
      }),
      { numRuns: 5000 },
    );
    expect(parseOwnLine('{"type":"sent","to":"+34612345678","at":"2026-01-01T00:00:00.000Z","id":"wamid.X"}')).toEqual({ type: 'sent', to: '+34612345678', at: '2026-01-01T00:00:00.000Z', id: 'wamid.X' });
    // The send's skip lines take the fast path too (a list's no-consent rows are one in ten of a journal).
    const skip = '{"type":"skipped","to":"+34612345678","at":"2026-01-01T00:00:00.000Z","reason":"no-consent","line":7}';
    expect(parseOwnLine(skip)).toEqual(JSON.parse(skip));
    expect(parseOwnLine('{"type":"skipped","to":"+34612345678","at":"2026-01-01T00:00:00.000Z","reason":"opted-out"}')).toEqual({ type: 'skipped', to: '+34612345678', at: '2026-01-01T00:00:00.000Z', reason: 'opted-out' });
  });
});

describe('the fast paths against JSON.parse and Date.parse', () => {
  it('parseOwnLine on lines with any character (controls, backslashes, quotes), any number, extra or reordered keys: agrees with JSON.parse or declines', async () => {
    const { parseOwnLine } = await import('../../../src/core/journal/reader.js');
    const fcm = (await import('fast-check')).default;
    const text = fcm.string({ unit: 'binary', maxLength: 12 });
    const num = fcm.oneof(fcm.nat(), fcm.constantFrom('007', '0', '1e3', '-1', '1.5', '00', '12345678901234567890'));
    const field = (k: string, v: unknown) => `"${k}":${typeof v === 'string' && /^[-\d.e]+$/.test(v) ? v : JSON.stringify(v)}`;
    const raw = fcm.tuple(fcm.constantFrom('attempt', 'sent', 'skipped'), text, text, fcm.option(num), fcm.option(num), text, fcm.boolean(), fcm.boolean()).map(([type, to, at, line, n, id, rawStrings, extra]) => {
      // Strings written raw (not escaped) are what a damaged or hand-written line may hold.
      const str = (v: string) => (rawStrings ? `"${v}"` : JSON.stringify(v));
      const parts = [`"type":"${type}"`, `"to":${str(to)}`, `"at":${str(at)}`];
      if (type === 'attempt') {
        if (line !== null) parts.push(field('line', String(line)));
        if (n !== null) parts.push(field('n', String(n)));
      } else if (type === 'skipped') {
        // The reason takes the id's text; n stands for a line after it, or none.
        parts.push(`"reason":${str(id)}`);
        if (line !== null) parts.push(field('line', String(line)));
      } else parts.push(`"id":${str(id)}`);
      if (extra) parts.push('"x":1');
      return `{${parts.join(',')}}`;
    });
    fcm.assert(
      fcm.property(raw, (line) => {
        let expected: unknown;
        try {
          expected = JSON.parse(line);
        } catch {
          expected = undefined;
        }
        const fast = parseOwnLine(line);
        if (fast !== undefined) expect(fast).toEqual(expected);
      }),
      { numRuns: 20000 },
    );
  });

  it('parseOwnLine on a written line with one character changed, cut or doubled: agrees with JSON.parse or declines', async () => {
    const { parseOwnLine } = await import('../../../src/core/journal/reader.js');
    const fcm = (await import('fast-check')).default;
    const lines = [
      '{"type":"attempt","to":"+34612345678","at":"2026-01-01T00:00:00.000Z","line":12,"n":2}',
      '{"type":"sent","to":"+34612345678","at":"2026-01-01T00:00:00.000Z","id":"wamid.HBgL=="}',
      '{"type":"skipped","to":"+34612345678","at":"2026-01-01T00:00:00.000Z","reason":"no-consent","line":12}',
    ];
    fcm.assert(
      fcm.property(fcm.constantFrom(...lines), fcm.nat(200), fcm.integer({ min: 0, max: 0x7f }), fcm.constantFrom('replace', 'cut', 'insert', 'drop'), (line, pos, c, how) => {
        const i = pos % line.length;
        const ch = String.fromCharCode(c);
        const text = how === 'replace' ? line.slice(0, i) + ch + line.slice(i + 1) : how === 'cut' ? line.slice(0, i) : how === 'insert' ? line.slice(0, i) + ch + line.slice(i) : line.slice(0, i) + line.slice(i + 1);
        let expected: unknown;
        try {
          expected = JSON.parse(text);
        } catch {
          expected = undefined;
        }
        const fast = parseOwnLine(text);
        if (fast !== undefined) expect(fast).toEqual(expected);
      }),
      { numRuns: 20000 },
    );
    for (const l of lines) expect(parseOwnLine(l)).toEqual(JSON.parse(l));
  });

  it('IsoTimes.parse is Date.parse, over runs of nearby and odd times', async () => {
    const { IsoTimes } = await import('../../../src/core/journal/state.js');
    const fcm = (await import('fast-check')).default;
    const digits = (n: number, max: number) => fcm.integer({ min: 0, max }).map((v) => String(v).padStart(n, '0'));
    const iso = fcm.tuple(digits(4, 9999), digits(2, 14), digits(2, 33), digits(2, 25), digits(2, 61), digits(2, 61), digits(3, 999)).map(([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
    const odd = fcm.constantFrom('2026-01-01T24:00:00.000Z', '2026-01-01T24:00:00.001Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.5Z', '2026-01-01T00:00:00.000+01:00', 'x026-01-01T00:00:00.000Z', '2026-01-01 00:00:00.000Z', '', 'a');
    fcm.assert(
      fcm.property(fcm.array(fcm.oneof({ weight: 4, arbitrary: iso }, odd), { maxLength: 30 }), (ats) => {
        const t = new IsoTimes();
        // Each time and its neighbours in the same second, as a burst of lines writes them.
        for (const at of ats) for (const a of [at, at.length === 24 ? `${at.slice(0, 20)}999Z` : at, at]) expect(Object.is(t.parse(a), Date.parse(a)), a).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('a journal damaged in the middle', () => {
  it.each([
    ['a line overwritten with NUL bytes', '\0'.repeat(40)],
    ['a line of NULs and spaces', '\0\0 \0\0'],
    ['invalid JSON', '{"type":"sent","to":"+34600000001",'],
    ['a line cut short', '{"type":"sent"'],
  ])('%s, with events after it, is refused with its line number', async (_name, damage) => {
    const p = file(`mid-${damage.length}.jsonl`, `${H}\n{"type":"attempt","to":"+1","at":"a"}\n${damage}\n{"type":"sent","to":"+1","at":"a","id":"w1"}\n`);
    const err = await readJournal(p).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).line).toBe(3);
    expect((err as InputError).message).toMatch(/journal line 3 is (damaged|not valid JSON)/);
  });

  it('NUL filler at the very end, after the last event, is a crash leftover: ignored', async () => {
    const p = file('tail-nul.jsonl', `${H}\n{"type":"attempt","to":"+1","at":"a"}\n${'\0'.repeat(512)}\n\0\0\0`);
    const r = await readJournal(p);
    expect(r.torn).toBe(true);
    expect(r.events).toHaveLength(1);
  });
});
