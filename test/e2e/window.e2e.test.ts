/**
 * A Spanish + Mexican list with --window, Mexican rows first, at an hour when Madrid's window is
 * open and Mexico City's is closed: the Spanish recipients go at once, the Mexican ones wait for
 * their own morning without holding anyone back; Ctrl-C leaves them pending for resume. The dry
 * run says the same: each planned message carries the time it would go out.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { TEMPLATE } from '../helpers/make-contacts.js';
import { readJsonl, runCli, startCli, tempDir, waitFor } from '../helpers/run-cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => ensureBuilt(), 120_000);

/** A two-hour window around the current hour in Madrid: open there, closed in Mexico City (7 h behind). */
function windowOpenInMadrid(): string {
  const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Madrid', hour: '2-digit', hourCycle: 'h23' }).format(new Date()));
  const hh = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
  return `${hh(hour - 1)}-${hh(hour + 1)}`;
}

function mixedList(dir: string): { spanish: string[]; mexican: string[] } {
  const rows = ['name,phone,consent,city,tz'];
  const mexican = [0, 1, 2, 3, 4].map((i) => `+5255123400${String(i).padStart(2, '0')}`);
  const spanish = [0, 1, 2, 3, 4, 5].map((i) => `+346120000${String(i).padStart(2, '0')}`);
  for (const [i, to] of mexican.entries()) rows.push(`Mx${i},${to},sí,CDMX,America/Mexico_City`);
  // The Spanish rows carry no tz: +34 mobiles are read in Europe/Madrid.
  for (const [i, to] of spanish.entries()) rows.push(`Es${i},${to},sí,Madrid,`);
  writeFileSync(path.join(dir, 'contacts.csv'), `${rows.join('\n')}\n`);
  writeFileSync(path.join(dir, 'message.md'), TEMPLATE);
  return { spanish, mexican };
}

describe('--window with recipients in several time zones', () => {
  it('sends those inside their window at once and defers the others, who stay pending for resume', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const { spanish, mexican } = mixedList(t.dir);
    const outbox = path.join(t.dir, '.campaign', 'sandbox-outbox.jsonl');
    const run = startCli(['send', 'contacts.csv', '--template', 'message.md', '--yes', '--window', windowOpenInMadrid(), '--rate', '20'], { cwd: t.dir });
    await waitFor(() => readJsonl(outbox).lines.length >= spanish.length, 15_000, 'the Spanish recipients in the outbox');
    await waitFor(() => /outside their sending window/.test(run.stderr()), 10_000, 'the waiting notice');
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(readJsonl(outbox).lines.map((m) => m.to).sort()).toEqual([...spanish].sort());
    expect(r.stderr).toMatch(/5 outside their sending window now go when it opens/);

    const journal = readJsonl(path.join(t.dir, 'contacts.journal.jsonl')).lines;
    for (const to of mexican) expect(journal.filter((e) => e.to === to)).toEqual([]); // pending, not skipped
    const status = JSON.parse((await runCli(['status', 'contacts.journal.jsonl', '--json'], { cwd: t.dir })).stdout);
    expect(status).toMatchObject({ sent: spanish.length, remaining: mexican.length, uncertain: 0 });
  });

  it('--dry-run plans each message at the time its own window allows', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const { spanish, mexican } = mixedList(t.dir);
    const started = Date.now();
    const r = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--dry-run', '--window', windowOpenInMadrid()], { cwd: t.dir });
    expect(r.code, r.stderr).toBe(0);
    const plan = readJsonl(path.join(t.dir, 'contacts.journal.plan.jsonl')).lines;
    // Everyone inside their window first, in list order; then the deferred, at their opening.
    expect(plan.map((p) => p.to)).toEqual([...spanish, ...mexican]);
    for (const p of plan.filter((p) => spanish.includes(p.to))) expect(Date.parse(p.at) - started).toBeLessThan(60_000);
    for (const p of plan.filter((p) => mexican.includes(p.to))) {
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'America/Mexico_City', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(p.at));
      expect(local).toBe(windowOpenInMadrid().slice(0, 5));
    }
    expect(plan[0]).toMatchObject({ line: 7, text: 'Hola Es0, te esperamos en Madrid.' });
  });

  it('a tz cell that is no time zone is a lint warning, and the number\'s own zone is used', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    // A CRM export's free-text zone and a typo: Spanish mobiles, so Madrid's hours apply.
    const rows = ['name,phone,consent,city,tz', 'Ana,+34612000001,sí,Madrid,Madrid time', 'Luis,+34612000002,sí,Madrid,Europe/Madird', 'Eva,+34612000003,sí,Madrid,Europe/Madrid'];
    writeFileSync(path.join(t.dir, 'contacts.csv'), `${rows.join('\n')}\n`);
    writeFileSync(path.join(t.dir, 'message.md'), TEMPLATE);
    const lint = await runCli(['lint', 'contacts.csv', '--template', 'message.md', '--json'], { cwd: t.dir });
    const zones = JSON.parse(lint.stdout).findings.filter((f: { rule: string }) => f.rule === 'tz-invalid');
    expect(zones.map((f: { line: number; value: string }) => [f.line, f.value])).toEqual([[2, 'Madrid time'], [3, 'Europe/Madird']]);
    const started = Date.now();
    // The machine in Mexico City, where Madrid's window is closed: only the numbers' own zone opens it now.
    const r = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--dry-run', '--window', windowOpenInMadrid()], { cwd: t.dir, env: { TZ: 'America/Mexico_City' } });
    expect(r.code, r.stderr).toBe(0);
    const plan = readJsonl(path.join(t.dir, 'contacts.journal.plan.jsonl')).lines;
    expect(plan.map((p) => p.to)).toEqual(['+34612000001', '+34612000002', '+34612000003']);
    for (const p of plan) expect(Date.parse(p.at) - started).toBeLessThan(60_000);
  });
});
