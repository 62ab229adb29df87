/**
 * Crash safety: SIGKILL the CLI at random points of a send against a fake Cloud API that records
 * every recipient, resume (with `resume` or the same `send`) until done, and check the contract:
 * nobody gets two messages unless the journal called them uncertain and --resend-uncertain was
 * given; every recipient ends with an outcome; the journal parses (a torn last line tolerated).
 */
import { appendFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { duplicates, startFakeCloud, type FakeCloud } from '../helpers/fake-cloud.js';
import { journalProblems, readJournal } from '../helpers/journal.js';
import { makeContacts, type Contacts } from '../helpers/make-contacts.js';
import { runCli, startCli, tempDir } from '../helpers/run-cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => ensureBuilt(), 120_000);

const SEND = ['send', 'contacts.csv', '--template', 'message.md', '--provider', 'cloud', '--rate', '200', '--concurrency', '8', '--yes'];
const RESUME = ['resume', 'contacts.journal.jsonl', '--yes'];

/** Runs `args` and SIGKILLs the child once the server has seen `killAt` requests in total. */
async function runAndKill(args: string[], dir: string, fake: FakeCloud, killAt: number): Promise<'killed' | number | null> {
  const run = startCli(args, { cwd: dir, env: fake.env, timeoutMs: 30_000 });
  const reached = fake.server.waitForRequests(killAt, 30_000).then(
    () => 'reached' as const,
    () => 'timeout' as const,
  );
  const first = await Promise.race([reached, run.done.then(() => 'exited' as const)]);
  if (first === 'reached') {
    run.child.kill('SIGKILL');
    const r = await run.done;
    return r.signal === 'SIGKILL' ? 'killed' : r.code;
  }
  return (await run.done).code;
}

async function status(dir: string) {
  const r = await runCli(['status', 'contacts.journal.jsonl', '--json'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** The invariants after every recipient has an outcome (no --resend-uncertain so far). */
async function checkSettled(dir: string, c: Contacts, fake: FakeCloud, note: string) {
  const j = readJournal(path.join(dir, 'contacts.journal.jsonl'));
  expect(journalProblems(j), note).toEqual([]);
  const accepted = fake.accepted();
  // Never twice to anyone.
  expect(duplicates(accepted), note).toEqual([]);
  // Only sendable recipients were contacted.
  for (const to of fake.tos()) expect(c.sendable, note).toContain(to);
  const uncertain = new Set(j.byState('uncertain'));
  for (const to of c.sendable) {
    const state = j.states.get(to);
    expect(['sent', 'uncertain'], `${note}: ${to} is ${state}`).toContain(state);
    // The attempt line is on disk before the request: whoever the server saw has an attempt.
    if (accepted.has(to)) expect(state, `${note}: ${to}`).toBeDefined();
    // Whoever the journal says was sent really reached the server.
    if (state === 'sent') expect(accepted.get(to), `${note}: ${to} sent but never received`).toBe(1);
  }
  const s = await status(dir);
  expect(s, note).toMatchObject({ sent: c.sendable.length - uncertain.size, uncertain: uncertain.size, remaining: 0, failed: 0 });
  expect(s.complete, note).toBe(uncertain.size === 0);
  return { j, uncertain };
}

function setup(n: number, fakeDelayMs = 2) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const c = makeContacts(t.dir, n);
  return { dir: t.dir, c, delay: fakeDelayMs };
}

describe('crash and resume', () => {
  // Kill points: very early (first request), random ones, and a double kill (send, then resume).
  const total = 400;
  const rnd = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));
  const plans: { name: string; kills: number[]; tear?: boolean }[] = [
    { name: 'killed at the very first request', kills: [1] },
    { name: 'killed at a random point', kills: [rnd(2, 300)] },
    { name: 'killed twice (send, then resume), with a torn last line', kills: [rnd(20, 150), rnd(160, 380)], tear: true },
  ];

  for (const plan of plans) {
    it(`${plan.name}: resume finishes, nobody gets two messages`, async () => {
      const { dir, c } = setup(total);
      const fake = await startFakeCloud(undefined, { delayMs: 2 });
      cleanups.push(() => fake.close());
      const note = `kills at ${plan.kills.join(', ')}`;

      let first = true;
      for (const at of plan.kills) {
        // Resume the second time through `send` (same contacts and template): it resumes too.
        const outcome = await runAndKill(first ? SEND : RESUME, dir, fake, at);
        expect(['killed', 0, 1], note).toContain(outcome);
        first = false;
        expect(existsSync(path.join(dir, 'contacts.journal.jsonl')), note).toBe(true);
        if (plan.tear) appendFileSync(path.join(dir, 'contacts.journal.jsonl'), '{"type":"sent","to":"+3461200');
      }

      // The stale lock of the killed process is taken over; the same `send` command resumes.
      const r = await runCli(SEND, { cwd: dir, env: fake.env, timeoutMs: 30_000 });
      expect([0, 1], `${note}\n${r.stderr}`).toContain(r.code);
      if (plan.tear) {
        // The torn fragment stays in the file, fenced off; it is tolerated, never fatal.
        expect(readJournal(path.join(dir, 'contacts.journal.jsonl')).torn, note).not.toBeNull();
      }
      const { uncertain } = await checkSettled(dir, c, fake, note);
      expect(r.code, note).toBe(uncertain.size ? 1 : 0);

      // Again: nothing left to send, and no new request.
      const before = fake.server.requests.length;
      const again = await runCli(RESUME, { cwd: dir, env: fake.env });
      expect(again.stderr, note).toContain('Nothing left to send');
      expect(fake.server.requests.length, note).toBe(before);

      // --resend-uncertain sends to the uncertain ones (and only them) once more.
      const resend = await runCli([...RESUME, '--resend-uncertain'], { cwd: dir, env: fake.env });
      expect(resend.code, `${note}\n${resend.stderr}`).toBe(0);
      const accepted = fake.accepted();
      for (const to of duplicates(accepted)) expect(uncertain.has(to), `${note}: ${to} twice but was not uncertain`).toBe(true);
      const j = readJournal(path.join(dir, 'contacts.journal.jsonl'));
      expect(new Set(j.byState('sent')), note).toEqual(new Set(c.sendable));
      expect((await status(dir)).complete, note).toBe(true);
    }, 60_000);
  }

  it('a request hanging when the process dies is uncertain: not resent without --resend-uncertain, resent with it', async () => {
    const { dir, c } = setup(60);
    let hung = '';
    // The 5th request never gets an answer; the same recipient asked again is answered.
    const fake = await startFakeCloud(({ index, to, seen }) => {
      if (index === 4 && seen === 0) {
        hung = to;
        return { hang: true };
      }
      return undefined;
    }, { delayMs: 2 });
    cleanups.push(() => fake.close());

    const outcome = await runAndKill(
      ['send', 'contacts.csv', '--template', 'message.md', '--provider', 'cloud', '--rate', '200', '--concurrency', '4', '--yes'],
      dir,
      fake,
      20,
    );
    expect(outcome).toBe('killed');
    expect(hung).not.toBe('');

    const r = await runCli(RESUME, { cwd: dir, env: fake.env });
    expect(r.code, r.stderr).toBe(1); // uncertain outcomes are not a clean finish
    expect(r.stderr).toMatch(/uncertain/);
    const { j, uncertain } = await checkSettled(dir, c, fake, 'hang');
    expect(uncertain.has(hung)).toBe(true);
    expect(j.states.get(hung)).toBe('uncertain');
    expect(fake.accepted().get(hung)).toBe(1);

    // A plain resume leaves it alone.
    const again = await runCli(RESUME, { cwd: dir, env: fake.env });
    expect(again.stderr).toContain('Nothing left to send');
    expect(again.stderr).toMatch(/uncertain: not sent again without --resend-uncertain/);
    expect(fake.accepted().get(hung)).toBe(1);

    // With --resend-uncertain it goes out again, and is then sent.
    const resend = await runCli([...RESUME, '--resend-uncertain'], { cwd: dir, env: fake.env });
    expect(resend.code, resend.stderr).toBe(0);
    expect(fake.accepted().get(hung)).toBe(2);
    expect(readJournal(path.join(dir, 'contacts.journal.jsonl')).states.get(hung)).toBe('sent');
    expect((await status(dir)).complete).toBe(true);
  }, 60_000);
});
