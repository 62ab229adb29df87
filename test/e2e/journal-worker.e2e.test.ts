/**
 * Resume reads a large journal in a worker thread and gets the reduction's states back packed
 * (issue 13): the built reader (dist/) must give exactly what the one-thread read gives, for
 * random journals with every event kind, late callbacks, hand-written keys, odd times, torn tails
 * and damaged lines (the same error, the same line number). A thread that fails ends the same way.
 * Then the CLI: a resume plans and sends the same with the thread forced on and off.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT } from '../helpers/build-once.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

type Reader = typeof import('../../src/core/journal/reader.js');
let reader: Reader;
let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  await ensureBuilt();
  const dist = (p: string) => pathToFileURL(path.join(REPO_ROOT, 'dist', 'core', 'journal', p)).href;
  reader = (await import(dist('reader.js'))) as Reader;
  tmp = tempDir('campaign-journal-worker-');
}, 120_000);
afterAll(() => tmp?.cleanup());
afterEach(() => {
  delete process.env.CAMPAIGN_JOURNAL_WORKER;
  delete process.env.CAMPAIGN_JOURNAL_WORKER_FAULT;
});

const HEADER = JSON.stringify({ type: 'header', version: 1, campaign: 'c', at: '2026-03-01T09:00:00.000Z', contacts: { path: 'c.csv', sha256: 'x' }, template: null, provider: 'cloud', options: { selected: 7 } });
// Canonical numbers, and keys a hand-edited journal may hold (looked up as strings, never confused with a number).
const TO = ['+34600000001', '+34600000002', '+34600000003', '+1555000', '+999999999999999', '+034600000001', '34600000001', '+34 600 000 004', '+1234567890123456', '+', ''];
const AT = [
  '2026-03-01T09:00:00.000Z', '2026-03-01T09:00:00.999Z', '2026-03-01T09:00:01.250Z', '2026-03-01T23:59:59.001Z',
  '2026-03-01T24:00:00.000Z', '2026-03-01T24:00:00.500Z', '2026-02-30T10:00:00.000Z', '2026-03-01T09:00:00Z', 'yesterday', '',
];
const to = fc.constantFrom(...TO);
const at = fc.constantFrom(...AT);
const code = fc.constantFrom('131026', '131049', '131050', '21610', 'timeout', 131047);
const event = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('attempt'), to, at, line: fc.nat(50), n: fc.nat(3) }, { requiredKeys: ['type', 'to', 'at'] }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('sent'), to, at, id: fc.constantFrom('wamid.A', 'wamid.B', 'SM1') }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('failed'), to, at, code, permanent: fc.boolean() }) },
  fc.record({ type: fc.constant('skipped'), to, at, reason: fc.constantFrom('no-consent', 'filtered-out', 'opted-out', 'suppressed', 'consent-conflict'), line: fc.nat(50) }, { requiredKeys: ['type', 'to', 'at', 'reason'] }),
  { weight: 3, arbitrary: fc.record({ type: fc.constant('status'), to, at, id: fc.constantFrom('wamid.A', 'wamid.C'), status: fc.constantFrom('sent', 'delivered', 'read', 'failed'), code }, { requiredKeys: ['type', 'to', 'at', 'id', 'status'] }) },
  fc.record({ type: fc.constant('optout'), to, at, source: fc.constant('keyword') }),
  fc.record({ type: fc.constant('halt'), at, reason: fc.constantFrom('failure-rate', 'provider-stop', 'daily-limit', 'window') }),
  fc.record({ type: fc.constant('pause'), at, reason: fc.constantFrom('daily-limit', 'window'), until: at }),
  fc.record({ type: fc.constant('resume'), at, pid: fc.nat(100) }),
  fc.record({ type: fc.constant('media'), file: fc.constant('/x.jpg'), sha256: fc.constant('s'), id: fc.constant('m1'), at }),
  fc.record({ type: fc.constant('wave'), at, phase: fc.constant('start'), n: fc.constant(1), of: fc.constant(2) }),
  fc.record({ type: fc.constant('health'), at, provider: fc.constant('cloud'), read: fc.constant('ok'), quality: fc.constant('GREEN'), status: fc.constant('CONNECTED'), tier: fc.constant('TIER_1K'), limit: fc.constant(1000), throughput: fc.constant('STANDARD'), per_second: fc.constant(80), ignored: fc.constant(false) }),
);
// A line as the dispatcher writes it, or the same event with its keys in another order (JSON.parse's path).
const line = fc.tuple(event, fc.boolean()).map(([e, reorder]) => (reorder ? JSON.stringify(Object.fromEntries(Object.entries(e).reverse())) : JSON.stringify(e)));
const damage = fc.constantFrom('{"type":"sent","to":"+34600000001",', '\0'.repeat(30), 'not json', '{"type":"attempt","to":"+34600000001","at":"2026-03-01T09:00:00.000Z","line":007}', '{"type":"sent","to":"+3460\u0001","at":"a","id":"w"}', '');
const journalText = fc.record({ lines: fc.array(line, { maxLength: 60 }), damageAt: fc.option(fc.nat(60)), damage, torn: fc.boolean() }).map(({ lines, damageAt, damage: bad, torn }) => {
  const all = [HEADER, ...lines];
  if (damageAt !== null) all.splice(1 + Math.min(damageAt, lines.length), 0, bad);
  return `${all.join('\n')}\n${torn ? '{"type":"attempt","to":"+3460' : ''}`;
});

/** A summary as plain data: the states as [to, state, opted out, attempts, last attempt] rows, sorted. */
function plain(s: Awaited<ReturnType<Reader['summariseJournal']>> | Awaited<ReturnType<Reader['summariseAside']>['promise']>) {
  const { states, ...rest } = s;
  const rows = [...states.entries()].map(([k, r]) => [k, r.state, Boolean(r.optedOut), r.attempts, r.lastAttemptAt === undefined ? 'none' : String(r.lastAttemptAt)]);
  rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  return { ...rest, failuresByCode: [...rest.failuresByCode], states: rows };
}

async function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { error: { name: string; message: string; line?: number; file?: string; hint?: string } }> {
  try {
    return { ok: await p };
  } catch (e) {
    const err = e as { name: string; message: string; line?: number; file?: string; hint?: string };
    return { error: { name: err.name, message: err.message, line: err.line, file: err.file, hint: err.hint } };
  }
}

let n = 0;
async function both(text: string) {
  const file = path.join(tmp.dir, `j${n++}.jsonl`);
  writeFileSync(file, text);
  const main = await outcome(reader.summariseJournal(file).then(plain));
  process.env.CAMPAIGN_JOURNAL_WORKER = '1';
  const aside = reader.summariseAside(file, 0);
  expect(aside.threaded).toBe(true);
  const thread = await outcome(aside.promise.then((s) => ({ thread: aside.answeredBy === 'thread', ...plain(s) })));
  delete process.env.CAMPAIGN_JOURNAL_WORKER;
  return { file, main, thread };
}

describe('the journal read in a worker thread', () => {
  it('gives the one-thread summary for random journals (every event kind, late callbacks, odd keys and times, torn and damaged lines), or its error', async () => {
    let damaged = 0;
    await fc.assert(
      fc.asyncProperty(journalText, async (text) => {
        const { main, thread } = await both(text);
        if ('error' in main) {
          damaged++;
          expect(thread).toEqual(main);
        } else {
          expect('ok' in thread && thread.ok.thread).toBe(true);
          expect(thread).toEqual({ ok: { thread: true, ...main.ok } });
        }
      }),
      { numRuns: 150 },
    );
    // The property saw damaged journals, not only readable ones.
    expect(damaged).toBeGreaterThan(5);
  }, 120_000);

  it('the table moved from the thread answers lookups as the one read here, for every key kind, present or not', async () => {
    const lines = TO.flatMap((t, i) => [JSON.stringify({ type: 'attempt', to: t, at: AT[i % AT.length] }), ...(i % 2 ? [JSON.stringify({ type: 'sent', to: t, at: AT[0], id: 'w' })] : [])]);
    const file = path.join(tmp.dir, 'keys.jsonl');
    writeFileSync(file, `${HEADER}\n${lines.join('\n')}\n`);
    const here = (await reader.summariseJournal(file)).states;
    process.env.CAMPAIGN_JOURNAL_WORKER = '1';
    const aside = reader.summariseAside(file, 0);
    const moved = (await aside.promise).states;
    expect(aside.answeredBy).toBe('thread');
    for (const k of [...TO, '+34600000009', '+0', '+3460000000', '034600000001', '+34600000001 ']) expect(moved.get(k), k).toEqual(here.get(k));
    expect(moved.size).toBe(here.size);
  });

  it.each(['crash', 'throw'])('a thread that fails (%s) leaves the read to the main thread: the same summary, or the same error', async (fault) => {
    process.env.CAMPAIGN_JOURNAL_WORKER_FAULT = fault;
    const good = `${HEADER}\n{"type":"attempt","to":"+34600000001","at":"2026-03-01T09:00:00.000Z"}\n{"type":"sent","to":"+34600000001","at":"2026-03-01T09:00:00.100Z","id":"w"}\n`;
    const bad = `${HEADER}\n{"type":"attempt","to":"+34600000001","at":"2026-03-01T09:00:00.000Z"}\nnot json\n{"type":"sent","to":"+34600000001","at":"a","id":"w"}\n`;
    for (const text of [good, bad]) {
      const { main, thread } = await both(text);
      if ('error' in main) {
        expect(main.error.line).toBe(3);
        expect(thread).toEqual(main);
      } else {
        expect(thread).toEqual({ ok: { thread: false, ...main.ok } });
      }
    }
  });

  it('CAMPAIGN_JOURNAL_WORKER that is neither 0 nor 1 is a usage error naming it', () => {
    process.env.CAMPAIGN_JOURNAL_WORKER = 'yes';
    expect(() => reader.summariseAside(path.join(tmp.dir, 'none.jsonl'), 0)).toThrow(/CAMPAIGN_JOURNAL_WORKER is "yes"/);
  });
});

describe('campaign resume with the journal read in a worker thread and without', () => {
  const template = '---\ntemplate: promo\nlanguage: es\ncategory: marketing\nparams: [nombre]\n---\nHola {{nombre}}, responde BAJA para no recibir más. Equipo Verde.\n';

  it('plans and sends the same: nobody the journal settled is messaged again, the rest exactly once', async () => {
    writeFileSync(path.join(tmp.dir, 'message.md'), template);
    const rows = Array.from({ length: 60 }, (_, i) => `P${i},6000000${String(i).padStart(2, '0')},${i % 7 === 3 ? 'no' : 'sí'}`);
    writeFileSync(path.join(tmp.dir, 'list.csv'), `nombre,telefono,consentimiento\n${rows.join('\n')}\n`);
    const journal = path.join(tmp.dir, 'list.journal.jsonl');
    const first = await runCli(['send', 'list.csv', '--template', 'message.md', '--default-country', 'ES', '--yes', '--journal', journal], { cwd: tmp.dir, env: { CAMPAIGN_JOURNAL_WORKER: '0' } });
    expect(first.code, first.stderr).toBe(0);
    // What a crash and late callbacks leave: settled recipients of every kind, and the rest never reached.
    const settled = readFileSync(journal, 'utf8').split('\n').filter((l) => l && !/"to":"\+346000000(?:[2-5]\d)"/.test(l));
    const at = '2026-03-01T09:00:00.000Z';
    const extra = [
      { type: 'attempt', to: '+34600000020', at },
      { type: 'attempt', to: '+34600000021', at },
      { type: 'failed', to: '+34600000021', at, code: '131049', permanent: false },
      { type: 'attempt', to: '+34600000022', at },
      { type: 'failed', to: '+34600000022', at, code: '131026', permanent: true },
      { type: 'attempt', to: '+34600000023', at },
      { type: 'status', to: '+34600000023', at, id: 'wamid.late', status: 'delivered' },
      { type: 'optout', to: '+34600000024', at, source: 'keyword' },
    ].map((e) => JSON.stringify(e));
    const pristine = `${[...settled, ...extra].join('\n')}\n`;
    const runs: Record<string, { code: number | null; dry: unknown; plan: string; sentTo: string[] }> = {};
    // 'slow': the thread answers after the whole list is read, so every row waits for its states.
    for (const [name, flag, fault] of [['thread', '1', ''], ['slow', '1', 'slow'], ['main', '0', '']]) {
      const env = { CAMPAIGN_JOURNAL_WORKER: flag, CAMPAIGN_JOURNAL_WORKER_FAULT: fault };
      writeFileSync(journal, pristine);
      const dry = await runCli(['resume', journal, '--dry-run', '--json'], { cwd: tmp.dir, env });
      expect(dry.code, dry.stderr).toBe(0);
      const { plan: planFile, ...dryJson } = JSON.parse(dry.stdout.trim().split('\n').at(-1)!) as { plan: string; health?: { at?: string } };
      // The health read's own time differs from run to run.
      if (dryJson.health) dryJson.health.at = 'T';
      const plan = readFileSync(planFile, 'utf8').replace(/"at":"[^"]*"/g, '"at":"T"');
      const r = await runCli(['resume', journal, '--yes'], { cwd: tmp.dir, env });
      const after = readFileSync(journal, 'utf8').slice(pristine.length).split('\n').filter(Boolean).map((l) => JSON.parse(l));
      runs[name] = { code: r.code, dry: dryJson, plan, sentTo: after.filter((e) => e.type === 'attempt').map((e) => e.to).sort() };
    }
    expect(runs.thread).toEqual(runs.main);
    expect(runs.slow).toEqual(runs.main);
    const sent = runs.thread.sentTo;
    // Uncertain (20), failed for good (22), delivered late (23) and opted out (24) are not messaged again; retryable (21) is.
    for (const done of ['+34600000020', '+34600000022', '+34600000023', '+34600000024']) expect(sent).not.toContain(done);
    expect(sent).toContain('+34600000021');
    expect(new Set(sent).size).toBe(sent.length);
    // Those the first run settled (outside 20-59) are never messaged again.
    expect(sent.every((t) => Number(t.slice(-2)) >= 20)).toBe(true);
  }, 120_000);
});
