import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOwnBytes, streamJournal, summariseJournal } from '../../../src/core/journal/reader.js';
import { JournalReducer } from '../../../src/core/journal/state.js';

// summariseJournal reads the send's own attempt, sent and skipped lines from their bytes (parseOwnBytes)
// and every other line as text. Here whole journals, written as a send, a webhook, a crash and a
// hand edit leave them, are summarised both ways and must come out the same: the same states,
// counts and times, or the same error.

const H = JSON.stringify({ type: 'header', version: 1, campaign: 'c', at: '2026-03-01T00:00:00.000Z', contacts: { path: 'c.csv', sha256: 'x' }, template: null, provider: 'sandbox', options: {} });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'journal-own-bytes-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The reduction with every line read as text (streamJournal without the byte path). */
async function byText(path: string) {
  const red = new JournalReducer();
  await streamJournal(path, (e) => red.add(e));
  return red;
}

async function outcome<T>(f: () => Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await f() };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const number = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 600_000_000, max: 600_000_030 }).map((n) => `+34${n}`) },
  fc.constantFrom('+0123', '34612345678', '+', '+1234567890123456', '+3461234567a', 'whatsapp:+34600000001', '+34 600 000 001', '+٣٤٦٠٠'),
);
// Times as a send writes them (bursts in one second), and what a hand edit or another tool leaves.
const at = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 999 })).map(([s, ms]) => `2026-03-01T10:00:0${s}.${String(ms).padStart(3, '0')}Z`) },
  // 2026-02-30 is a time to Date.parse (March 2nd) that prints as another text.
  { weight: 2, arbitrary: fc.constantFrom('2026-02-30T10:00:00.000Z', '2026-03-01T24:00:00.000Z', '2026-03-01T10:60:00.000Z', '2026-03-01T10:00:00Z', '2026-03-01T10:00:00.000+01:00', '2026-03-01 10:00:00.000Z', '0099-03-01T10:00:00.000Z', 'yesterday', '') },
);
const natural = fc.oneof(fc.nat({ max: 1000 }).map(String), fc.constantFrom('07', '0', '1e3', '-1', '1.5', '12345678901234567890'));
const id = fc.oneof(fc.constantFrom('wamid.HBgLMzQ2MDAwMDAwMDEVAgARGBI=', 'SM1234', 'ñandú', '"quoted"', 'back\\slash', 'tab\there', '\u0000', ''), fc.string({ maxLength: 6 }));

/** A journal line, raw: keys in the send's order or another, escapes, extra keys, damage. */
const line = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.tuple(number, at, fc.option(natural), fc.option(natural), fc.boolean()).map(([to, t, l, n, extra]) => {
      let s = `{"type":"attempt","to":${JSON.stringify(to)},"at":${JSON.stringify(t)}`;
      if (l !== null) s += `,"line":${l}`;
      if (n !== null) s += `,"n":${n}`;
      return `${s}${extra ? ',"x":1' : ''}}`;
    }),
  },
  {
    weight: 5,
    arbitrary: fc.tuple(number, at, id, fc.boolean(), fc.boolean()).map(([to, t, i, raw, reorder]) => {
      const idText = raw ? `"${i}"` : JSON.stringify(i);
      return reorder ? `{"type":"sent","to":${JSON.stringify(to)},"id":${idText},"at":${JSON.stringify(t)}}` : `{"type":"sent","to":${JSON.stringify(to)},"at":${JSON.stringify(t)},"id":${idText}}`;
    }),
  },
  fc.tuple(number, at, fc.constantFrom('delivered', 'read', 'failed', 'sent')).map(([to, t, st]) => JSON.stringify({ type: 'status', to, at: t, status: st, ...(st === 'failed' ? { code: '131026' } : {}) })),
  fc.tuple(number, at, fc.constantFrom('131049', '130472', '131026')).map(([to, t, code]) => JSON.stringify({ type: 'failed', to, at: t, code, permanent: code !== '131049', class: 'fail-contact' })),
  {
    weight: 3,
    // The reasons the send writes, and others: a filter, a near miss, an escape, a prefix of one.
    arbitrary: fc
      .tuple(number, at, fc.constantFrom('no-consent', 'opted-out', 'filtered-out', 'consent-conflict', 'recently-messaged', 'filtered', 'no-consent-2', 'No-consent', 'no-consen', 'no\\u002dconsent', ''), fc.option(natural), fc.boolean())
      .map(([to, t, reason, l, extra]) => `{"type":"skipped","to":${JSON.stringify(to)},"at":${JSON.stringify(t)},"reason":"${reason}"${l !== null ? `,"line":${l}` : ''}${extra ? ',"x":1' : ''}}`),
  },
  fc.tuple(number, at).map(([to, t]) => JSON.stringify({ type: 'optout', to, at: t, source: 'webhook' })),
  fc.tuple(at).map(([t]) => JSON.stringify({ type: 'resume', at: t })),
  fc.tuple(at).map(([t]) => JSON.stringify({ type: 'halt', at: t, reason: 'quality-red' })),
  // The send's own shape with an escape, a space, another case: the text path's to read.
  fc.constantFrom(
    '{"type":"attempt","to":"\\u002b34600000001","at":"2026-03-01T10:00:00.000Z","line":2,"n":1}',
    '{"type":"attempt", "to":"+34600000001","at":"2026-03-01T10:00:00.000Z","line":2,"n":1}',
    '{"type":"Attempt","to":"+34600000001","at":"2026-03-01T10:00:00.000Z"}',
    '{"type":"sent","to":"+34600000002","at":"2026-03-01T10:00:00.000Z","id":"x"} ',
    '{"type":"sent","to":"+34600000002","at":"2026-03-01T10:00:00.000Z","id":"x"}\r',
    '',
    '   ',
  ),
);

/** A written journal: the header, lines, and what a crash or a bad edit leaves. */
const journal = fc.tuple(fc.array(line, { maxLength: 40 }), fc.constantFrom('none', 'torn', 'garbage-middle', 'nul-tail', 'no-final-newline', 'crlf')).map(([lines, damage]) => {
  const all = [H, ...lines];
  if (damage === 'garbage-middle' && all.length > 2) all.splice(1 + (all.length >> 1), 0, '{"type":"attempt","to":"+3460');
  let text = `${all.join(damage === 'crlf' ? '\r\n' : '\n')}\n`;
  if (damage === 'torn') text += '{"type":"sent","to":"+34600000001","at":"2026-03-0';
  if (damage === 'nul-tail') text += '\0\0\0\0';
  if (damage === 'no-final-newline') text = text.slice(0, -1);
  return text;
});

describe('summariseJournal reads the send\'s own lines from their bytes', () => {
  it('gives what reading every line as text gives, over journals of every kind of line and damage', async () => {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(journal, async (text) => {
        const path = join(dir, `j${k++}.jsonl`);
        writeFileSync(path, text);
        const fast = await outcome(() => summariseJournal(path));
        const slow = await outcome(() => byText(path));
        if ('error' in slow || 'error' in fast) {
          expect(fast).toEqual(slow);
          return;
        }
        const s = fast.ok;
        const red = slow.ok;
        expect([...s.states.entries()]).toEqual([...red.recipients.entries()]);
        expect({ attempts: s.attempts, firstAt: s.firstAt, lastAt: s.lastAt, halts: s.halts, pauses: s.pauses, lastResumeAt: s.lastResumeAt }).toEqual({
          attempts: red.attempts,
          firstAt: red.firstAt,
          lastAt: red.lastAt,
          halts: red.halts,
          pauses: red.pauses,
          lastResumeAt: red.lastResumeAt,
        });
      }),
      { numRuns: 1000 },
    );
  }, 60_000);

  it('takes the lines a send writes by bytes, and reads the same numbers and times', async () => {
    const lines = [H];
    for (let i = 0; i < 2000; i++) {
      const to = `+3461${String(i).padStart(7, '0')}`;
      const t = `2026-03-01T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z`;
      lines.push(JSON.stringify({ type: 'attempt', to, at: t, line: i + 2, n: 1 }), JSON.stringify({ type: 'sent', to, at: t, id: `wamid.HBgL${i}=` }));
    }
    lines.push(JSON.stringify({ type: 'status', to: '+34610000007', at: '2026-03-01T11:00:00.000Z', status: 'read' }));
    const path = join(dir, 'send.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const s = await summariseJournal(path);
    expect(s.recipients).toBe(2000);
    expect(s.attempts).toBe(2000);
    expect(s.sent).toBe(2000);
    expect(s.read).toBe(1);
    expect(s.firstAt).toBe('2026-03-01T10:00:00.000Z');
    expect(s.lastAt).toBe('2026-03-01T11:00:00.000Z');
    expect(s.states.plan('+34610001999')).toEqual({ state: 'sent', optedOut: undefined, attempts: 1, lastAttemptAt: Date.parse('2026-03-01T10:33:19.999Z') });
    expect([...s.states.values()].filter((r) => r.lastAttemptAt !== undefined).length).toBe(2000);
  });

  it('takes a skip the send writes by bytes, reason and all, and leaves any other reason to the text path', async () => {
    const times = { second: new Uint8Array(19), secondMs: Number.NaN };
    const kind = (text: string) => {
      const buf = Buffer.from(text);
      return parseOwnBytes(buf, 0, buf.length, times);
    };
    const at = '2026-03-01T10:00:00.123Z';
    expect(kind(`{"type":"skipped","to":"+34600000001","at":"${at}","reason":"no-consent","line":7}`)).toBe(3);
    expect(kind(`{"type":"skipped","to":"+34600000001","at":"${at}","reason":"opted-out"}`)).toBe(3);
    for (const reason of ['filtered', 'no-consent-2', 'no-consen', 'No-consent', 'custom reason'])
      expect(kind(`{"type":"skipped","to":"+34600000001","at":"${at}","reason":"${reason}","line":7}`), reason).toBe(0);
    expect(kind(`{"type":"skipped","to":"+34600000001","at":"${at}","reason":"no-consent","line":7,"x":1}`)).toBe(0);

    // A journal of skips: the reasons counted as the report counts them, and kept per recipient.
    const lines = [H];
    for (let i = 0; i < 300; i++) {
      const reason = i % 3 === 0 ? 'no-consent' : i % 3 === 1 ? 'opted-out' : 'hand-written';
      lines.push(JSON.stringify({ type: 'skipped', to: `+3461${String(i).padStart(7, '0')}`, at, reason, line: i + 2 }));
    }
    const path = join(dir, 'skips.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const s = await summariseJournal(path);
    expect(s.skipped).toBe(300);
    expect(s.optedOut).toBe(100);
    expect(s.states.get('+34610000000')?.skipReason).toBe('no-consent');
    expect(s.states.get('+34610000001')).toMatchObject({ skipReason: 'opted-out', optedOut: true });
    expect(s.states.get('+34610000002')?.skipReason).toBe('hand-written');
  });
});
