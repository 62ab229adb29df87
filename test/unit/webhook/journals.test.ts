import { spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJournal, reduceJournal } from '../../../src/core/journal/reader.js';
import { appendEvent, coalesced, discoverJournals, JournalIndex } from '../../../src/core/webhook/journals.js';

const T0 = '2025-05-01T10:00:00.000Z';
const header = (campaign: string) => JSON.stringify({ type: 'header', version: 1, campaign, at: T0, contacts: { path: 'c.csv', sha256: 'x' }, template: null, provider: 'cloud', options: {} });

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'journals-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('appendEvent', () => {
  it('interleaves safely with a sender process appending to the same file (500 lines each)', async () => {
    const path = join(dir, 'j.jsonl');
    await writeFile(path, header('c') + '\n');
    // The "sender": another process, its own fd opened 'a', one write() per whole line.
    const script = `
      const fs = require('node:fs');
      const fd = fs.openSync(process.argv[1], 'a');
      for (let i = 0; i < 500; i++) {
        const pad = 'x'.repeat(i % 7 === 0 ? 3000 : 40);
        fs.writeSync(fd, JSON.stringify({ type: 'attempt', to: '+3460000' + String(i).padStart(4, '0'), at: new Date().toISOString(), pad }) + '\\n');
      }
      fs.closeSync(fd);`;
    const child = spawn(process.execPath, ['-e', script, path], { stdio: 'inherit' });
    const done = new Promise<number | null>((resolve) => child.on('exit', resolve));
    for (let i = 0; i < 500; i++) {
      await appendEvent(path, { type: 'status', to: `+3461111${String(i).padStart(4, '0')}`, id: `wamid.${i}`, status: 'delivered', at: T0 });
    }
    expect(await done).toBe(0);
    const text = await readFile(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    // Every line parses. (A blank line is possible, though rare, if our torn-line check sees the
    // sender's write half-done twice in a row; readers skip blank lines.)
    const parsed = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
    expect(parsed.filter((e) => e.type === 'attempt')).toHaveLength(500);
    expect(parsed.filter((e) => e.type === 'status')).toHaveLength(500);
  });

  it('starts on a fresh line after a torn last line', async () => {
    const path = join(dir, 'j.jsonl');
    await writeFile(path, header('c') + '\n{"type":"sent","to":"+3460');
    await appendEvent(path, { type: 'status', to: '+34600000001', id: 'w1', status: 'read', at: T0 });
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines).toEqual([header('c'), '{"type":"sent","to":"+3460', JSON.stringify({ type: 'status', to: '+34600000001', id: 'w1', status: 'read', at: T0 }), '']);
  });

  it("a status callback settles an uncertain recipient for the journal reader", async () => {
    const path = join(dir, 'j.jsonl');
    await writeFile(path, header('c') + '\n' + JSON.stringify({ type: 'attempt', to: '+34600000002', at: T0 }) + '\n');
    expect(reduceJournal((await readJournal(path)).events).get('+34600000002')?.state).toBe('uncertain');
    const index = new JournalIndex({ journals: [path], cwd: dir });
    await index.refresh();
    const hit = await index.findForStatus({ id: 'wamid.new', to: '+34600000002', correlation: 'c:+34600000002' });
    expect(hit).toEqual({ journal: path, to: '+34600000002', via: 'correlation' });
    expect(await index.record(hit!.journal, { type: 'status', to: hit!.to, id: 'wamid.new', status: 'delivered', at: T0 })).toBe(true);
    const rec = reduceJournal((await readJournal(path)).events).get('+34600000002');
    expect(rec).toMatchObject({ state: 'sent', reach: 2, open: true });
  });
});

describe('JournalIndex', () => {
  it('re-scans only appended bytes, waits for a line to be complete, and finds new journals', async () => {
    const a = join(dir, 'a.jsonl');
    await writeFile(a, header('ca') + '\n' + JSON.stringify({ type: 'sent', to: '+34600000001', id: 'w1', at: T0 }) + '\n');
    await writeFile(join(dir, 'history.jsonl'), JSON.stringify({ to: '+34600000009', at: T0, campaign: 'x' }) + '\n');
    await writeFile(join(dir, 'notes.jsonl'), '{"hello":1}\n' + JSON.stringify({ type: 'sent', to: '+34600000009', id: 'w9', at: T0 }) + '\n');
    const index = new JournalIndex({ journals: [], cwd: dir });
    await index.refresh();
    expect(index.journals).toEqual([a]);
    expect(await index.findForStatus({ id: 'w1', to: '+34600000001' })).toMatchObject({ journal: a, via: 'id' });
    expect(await index.findForStatus({ id: 'w9', to: '+34600000009' })).toBeUndefined();

    // Half a line (a send mid-write): not indexed until its newline arrives.
    const line2 = JSON.stringify({ type: 'sent', to: '+34600000002', id: 'w2', at: T0 });
    await appendFile(a, line2.slice(0, 20));
    expect(await index.findForStatus({ id: 'w2', to: '+34600000002' })).toBeUndefined();
    await appendFile(a, line2.slice(20) + '\n');
    expect(await index.findForStatus({ id: 'w2', to: '+34600000002' })).toMatchObject({ journal: a, to: '+34600000002' });

    await mkdir(join(dir, '.campaign'));
    const b = join(dir, '.campaign', 'b.jsonl');
    await writeFile(b, header('cb') + '\n' + JSON.stringify({ type: 'attempt', to: '+34600000003', at: T0, ref: 'R-3' }) + '\n');
    expect(await index.findForStatus({ id: 'w3', to: '+34600000003', correlation: 'R-3' })).toEqual({ journal: b, to: '+34600000003', via: 'ref' });
    expect(await discoverJournals(dir)).toEqual([a, join(dir, 'notes.jsonl'), b]);
    expect(index.journals).toEqual([a, b]);
    expect(await index.findRecipient('+34600000003')).toMatchObject({ journal: b, via: 'recipient' });
    expect(await index.findRecipient('+34600000001', 'w1')).toMatchObject({ journal: a, via: 'id' });
  });
});

describe('JournalIndex under concurrency', () => {
  it('loses no line, and never forgets one, while another process writes the journal and lookups refresh it at once', async () => {
    const path = join(dir, 'j.jsonl');
    const N = 3000;
    const sent = (i: number) => JSON.stringify({ type: 'sent', to: '+3460' + String(i).padStart(7, '0'), id: 'w' + i, at: T0, pad: 'x'.repeat(i % 11 === 0 ? 5000 : 30) });
    // The first half is there before the index starts; the "send" (its own process, one write()
    // per line, a few big lines so that reads end mid-line) appends the second half meanwhile.
    await writeFile(path, [header('c'), ...Array.from({ length: N / 2 }, (_, i) => sent(i))].join('\n') + '\n');
    const index = new JournalIndex({ journals: [path], cwd: dir });
    await index.refresh();
    const script = `
      const fs = require('node:fs');
      const lines = fs.readFileSync(process.argv[2], 'utf8').split('\\n').filter(Boolean);
      const fd = fs.openSync(process.argv[1], 'a');
      (async () => {
        for (const [i, line] of lines.entries()) {
          fs.writeSync(fd, line + '\\n');
          if (i % 20 === 0) await new Promise((r) => setTimeout(r, 1));
        }
        fs.closeSync(fd);
      })();`;
    const rest = Array.from({ length: N / 2 }, (_, i) => sent(N / 2 + i));
    await writeFile(join(dir, 'rest.txt'), rest.join('\n'));
    const child = spawn(process.execPath, ['-e', script, path, join(dir, 'rest.txt')], { stdio: 'inherit' });
    let finished = false;
    const done = new Promise<number | null>((resolve) => child.on('exit', resolve)).finally(() => (finished = true));
    // 20 callers at once: an id not written yet (a miss, so a refresh) and one of the first half
    // (must always be found), over and over while the file grows.
    const lost: string[] = [];
    let rounds = 0;
    await Promise.all(Array.from({ length: 20 }, async (_, k) => {
      while (!finished) {
        const i = (k * 997 + rounds++) % (N / 2);
        await index.findForStatus({ id: `w-unknown-${i}`, to: '+0' });
        if (!(await index.findForStatus({ id: `w${i}`, to: '+0' }))) lost.push(`w${i}`);
      }
    }));
    expect(await done).toBe(0);
    expect(lost).toEqual([]);
    expect(rounds).toBeGreaterThan(20);
    await index.refresh();
    const missing: number[] = [];
    for (let i = 0; i < N; i++) {
      const hit = await index.findForStatus({ id: `w${i}`, to: '+0' });
      if (hit?.to !== `+3460${String(i).padStart(7, '0')}`) missing.push(i);
    }
    expect(missing).toEqual([]);
    // Each line taken in exactly once: no scan read the same bytes as another, none restarted.
    expect(index.linesRead).toBe(N + 1);
  });

  it('record: concurrent copies of one status and of one opt-out write one line each', async () => {
    const path = join(dir, 'j.jsonl');
    await writeFile(path, header('c') + '\n' + JSON.stringify({ type: 'sent', to: '+34600000001', id: 'w1', at: T0 }) + '\n');
    const index = new JournalIndex({ journals: [path], cwd: dir });
    await index.refresh();
    const status = { type: 'status', to: '+34600000001', id: 'w1', status: 'read', at: T0 } as const;
    const optout = { type: 'optout', to: '+34600000001', at: T0, source: 'keyword' } as const;
    const wrote = await Promise.all([...Array(25)].flatMap(() => [index.record(path, status), index.record(path, optout)]));
    expect(wrote.filter(Boolean)).toHaveLength(2);
    const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type).sort()).toEqual(['header', 'optout', 'sent', 'status']);
    // Another status of the same message is not a copy.
    expect(await index.record(path, { ...status, status: 'delivered' })).toBe(true);
  });
});

describe('coalesced', () => {
  it('never overlaps runs, and answers every call with a run that began after it', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const starts: number[] = [];
    const run = coalesced(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      starts.push(Date.now());
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      active--;
    });
    const calls = [];
    for (let i = 0; i < 10; i++) {
      const at = Date.now();
      calls.push(run().then(() => at));
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(calls);
    expect(maxActive).toBe(1);
    // 10 calls 5 ms apart against 20 ms runs: shared, so far fewer runs than calls.
    expect(runs).toBeGreaterThan(1);
    expect(runs).toBeLessThan(10);
    // A failed run fails only its own callers; the next call runs again.
    const failing = coalesced(async () => { throw new Error('disk full'); });
    await expect(failing()).rejects.toThrow('disk full');
    await expect(failing()).rejects.toThrow('disk full');
  });
});
