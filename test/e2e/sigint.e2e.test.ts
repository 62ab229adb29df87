/**
 * SIGINT / SIGTERM during a slow sandbox send: exit 130 after draining the requests in flight,
 * a hint naming `campaign resume`, a complete journal (no attempt without an outcome), the lock
 * released; then resume sends the rest, nobody twice.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { journalProblems, readJournal } from '../helpers/journal.js';
import { makeContacts } from '../helpers/make-contacts.js';
import { readJsonl, runCli, startCli, tempDir, waitFor } from '../helpers/run-cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => ensureBuilt(), 120_000);

describe('interrupting a send', () => {
  // 128 + the signal's number, as shells report it. SIGHUP: the terminal (or ssh session) closed,
  // so the test closes the pipes the CLI writes to before the signal, as a vanished terminal does.
  for (const [signal, exit] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${signal} after a few requests: exit ${exit}, journal flushed, lock removed; resume completes`, async () => {
      const t = tempDir();
      cleanups.push(t.cleanup);
      const c = makeContacts(t.dir, 40);
      const outbox = path.join(t.dir, '.campaign', 'sandbox-outbox.jsonl');
      const journal = path.join(t.dir, 'contacts.journal.jsonl');

      // 150 ms per answer, 4 in flight: about 25 messages a second, so plenty left when we interrupt.
      const run = startCli(
        ['send', 'contacts.csv', '--template', 'message.md', '--yes', '--rate', '50', '--concurrency', '4', '--sandbox-faults', 'latency=150,callbacks=off'],
        { cwd: t.dir },
      );
      await waitFor(() => readJsonl(outbox).lines.length >= 4, 10_000, 'four messages in the outbox');
      if (signal === 'SIGHUP') {
        run.child.stdout!.destroy();
        run.child.stderr!.destroy();
      }
      run.child.kill(signal);
      const r = await run.done;
      expect(r.code, r.stderr).toBe(exit);
      if (signal !== 'SIGHUP') expect(r.stderr).toContain('campaign resume contacts.journal.jsonl');
      expect(existsSync(`${journal}.lock`)).toBe(false);

      // Drained: every attempt has an outcome, and what the journal calls sent is what the outbox holds.
      const j = readJournal(journal);
      expect(j.torn).toBeNull();
      expect(journalProblems(j)).toEqual([]);
      expect(j.byState('uncertain')).toEqual([]);
      const delivered = readJsonl(outbox).lines.map((m) => m.to);
      expect(new Set(j.byState('sent'))).toEqual(new Set(delivered));
      expect(delivered.length).toBeLessThan(c.sendable.length);

      const status = JSON.parse((await runCli(['status', 'contacts.journal.jsonl', '--json'], { cwd: t.dir })).stdout);
      expect(status.complete).toBe(false);
      expect(status.remaining).toBe(c.sendable.length - delivered.length);

      const resumed = await runCli(['resume', 'contacts.journal.jsonl', '--yes'], { cwd: t.dir });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(new RegExp(`${c.sendable.length} sent, 0 failed, 0 uncertain`));
      const all = readJsonl(outbox).lines.map((m) => m.to);
      expect(all.sort()).toEqual([...c.sendable].sort());
      expect(existsSync(`${journal}.lock`)).toBe(false);
    }, 30_000);
  }

  it('a second Ctrl-C drops the requests in flight (uncertain) but still flushes the journal', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    makeContacts(t.dir, 20);
    const journal = path.join(t.dir, 'contacts.journal.jsonl');
    const outbox = path.join(t.dir, '.campaign', 'sandbox-outbox.jsonl');
    // The 6th request never gets an answer: the first Ctrl-C would wait for it (until the timeout).
    const run = startCli(
      ['send', 'contacts.csv', '--template', 'message.md', '--yes', '--rate', '50', '--concurrency', '1', '--timeout', '60000', '--sandbox-faults', 'hang@6,callbacks=off'],
      { cwd: t.dir },
    );
    await waitFor(() => readJsonl(outbox).lines.length >= 5, 10_000, 'five answered requests');
    await waitFor(() => readJsonl(journal).lines.filter((l) => l.type === 'attempt').length >= 6, 10_000, 'the hung request');
    run.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    expect(run.child.exitCode).toBeNull(); // still draining the hung request
    const t0 = Date.now();
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(Date.now() - t0).toBeLessThan(2500);
    const j = readJournal(journal);
    expect(journalProblems(j)).toEqual([]);
    expect(j.byState('sent')).toHaveLength(5);
    expect(j.byState('uncertain')).toHaveLength(1);
    expect(existsSync(`${journal}.lock`)).toBe(false);
  }, 30_000);
});
