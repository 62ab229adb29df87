/** A resume run from another folder still honours the campaign folder's .campaign/optouts.txt. */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { makeContacts } from '../helpers/make-contacts.js';
import { readJsonl, runCli, startCli, tempDir, waitFor } from '../helpers/run-cli.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  await ensureBuilt();
  tmp = tempDir('campaign-workdir-');
}, 120_000);
afterAll(() => tmp?.cleanup());

describe('resume from another folder', () => {
  it('reads the opt-outs of the folder the campaign ran in', async () => {
    const c = makeContacts(tmp.dir, 30, { extras: false });
    const journal = path.join(tmp.dir, 'contacts.journal.jsonl');
    const outbox = path.join(tmp.dir, '.campaign', 'sandbox-outbox.jsonl');
    const run = startCli(['send', 'contacts.csv', '--template', 'message.md', '--yes', '--rate', '10', '--concurrency', '1'], { cwd: tmp.dir });
    await waitFor(() => readJsonl(outbox).lines.length >= 3, 10_000, 'a few messages');
    run.child.kill('SIGKILL');
    await run.done;
    const optedOut = c.sendable.at(-1)!;
    mkdirSync(path.join(tmp.dir, '.campaign'), { recursive: true });
    appendFileSync(path.join(tmp.dir, '.campaign', 'optouts.txt'), `${optedOut}\n`);

    const elsewhere = path.join(tmp.dir, 'sub');
    mkdirSync(elsewhere);
    const r = await runCli(['resume', journal, '--yes', '--resend-uncertain'], { cwd: elsewhere });
    expect(r.code, r.stderr).toBe(0);
    const sent = readJsonl(outbox).lines.map((m) => m.to);
    expect(sent).not.toContain(optedOut);
    expect(new Set(sent)).toEqual(new Set(c.sendable.filter((n) => n !== optedOut)));
  }, 60_000);
});
