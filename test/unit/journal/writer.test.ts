import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { JOURNAL_VERSION, type JournalHeader } from '../../../src/core/journal/format.js';
import { readJournal } from '../../../src/core/journal/reader.js';
import { openJournal } from '../../../src/core/journal/writer.js';

const header: JournalHeader = {
  type: 'header',
  version: JOURNAL_VERSION,
  campaign: 'c1',
  at: '2025-01-01T00:00:00.000Z',
  contacts: { path: 'contacts.csv', sha256: 'a'.repeat(64) },
  template: null,
  provider: 'sandbox',
  options: { rate: 20 },
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'journal-writer-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const lines = (p: string) => readFileSync(p, 'utf8').split('\n');

describe('openJournal', () => {
  it('creates the file with the header as line 1, appends events, and removes the lock on close', async () => {
    const p = join(dir, 'j.jsonl');
    const w = await openJournal(p, header);
    expect(existsSync(`${p}.lock`)).toBe(true);
    expect(readFileSync(`${p}.lock`, 'utf8').trim()).toBe(String(process.pid));
    expect(JSON.parse(lines(p)[0])).toEqual(header);
    await w.attempt({ type: 'attempt', to: '+34600000001', at: 'x', line: 2 });
    w.append({ type: 'sent', to: '+34600000001', at: 'y', id: 'wamid.1' });
    await w.close();
    await w.close(); // idempotent
    expect(existsSync(`${p}.lock`)).toBe(false);
    const l = lines(p);
    expect(l).toHaveLength(4);
    expect(l[3]).toBe('');
    expect(JSON.parse(l[1])).toMatchObject({ type: 'attempt', to: '+34600000001' });
    expect(JSON.parse(l[2])).toMatchObject({ type: 'sent', id: 'wamid.1' });
    // Reopening appends; the header argument is ignored for an existing journal.
    const w2 = await openJournal(p, null);
    w2.append({ type: 'skipped', to: '+34600000002', at: 'z', reason: 'suppressed' });
    await w2.close();
    const { header: h, events, torn } = await readJournal(p);
    expect(h.campaign).toBe('c1');
    expect(torn).toBe(false);
    expect(events.map((e) => e.type)).toEqual(['attempt', 'sent', 'skipped']);
  });

  it('refuses to open a missing journal without a header', async () => {
    await expect(openJournal(join(dir, 'none.jsonl'), null)).rejects.toThrow(/does not exist/);
    expect(existsSync(join(dir, 'none.jsonl.lock'))).toBe(false);
  });

  it('an attempt is on disk when its promise resolves', async () => {
    const p = join(dir, 'j.jsonl');
    const w = await openJournal(p, header);
    w.append({ type: 'sent', to: '+1', at: 'a', id: 'buffered' });
    await w.attempt({ type: 'attempt', to: '+34600000009', at: 'x' });
    const text = readFileSync(p, 'utf8');
    expect(text).toContain('"to":"+34600000009"');
    // Outcome lines buffered before it are written first, in order.
    expect(text.indexOf('buffered')).toBeLessThan(text.indexOf('+34600000009'));
    await w.close();
  });

  it('group commit: 1000 concurrent attempts share a handful of writes and fdatasyncs', async () => {
    const p = join(dir, 'j.jsonl');
    const w = await openJournal(p, header);
    const base = { ...w.stats };
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => w.attempt({ type: 'attempt', to: `+3460${String(i).padStart(7, '0')}`, at: 'x', line: i + 2 })),
    );
    const ms = performance.now() - t0;
    const syncs = w.stats.syncs - base.syncs;
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThan(10);
    expect(w.stats.writes - base.writes).toBeLessThan(10);

    // Sustained: attempts arriving in waves (as the dispatcher issues them) still batch.
    const t1 = performance.now();
    let done = 0;
    const waves: Promise<void>[] = [];
    for (let wave = 0; wave < 50; wave++) {
      waves.push(
        Promise.all(
          Array.from({ length: 40 }, (_, i) => w.attempt({ type: 'attempt', to: `+44${wave}${i}`, at: 'x' }).then(() => void done++)),
        ).then(() => undefined),
      );
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(waves);
    const perSec = Math.round(done / ((performance.now() - t1) / 1000));
    console.log(`group commit: 1000 concurrent attempts in ${ms.toFixed(1)} ms with ${syncs} fdatasync; waves: ${perSec} attempts/s`);
    expect(perSec).toBeGreaterThan(1000);
    await w.close();
    const { events } = await readJournal(p);
    expect(events).toHaveLength(3000);
  });

  it('a second open of the same journal fails with a clear message', async () => {
    const p = join(dir, 'j.jsonl');
    const w = await openJournal(p, header);
    const err = await openJournal(p, null).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(new RegExp(`another campaign process \\(pid ${process.pid}\\) is using the journal`));
    expect(err.exitCode).toBe(2);
    await w.close();
    // Released: a new open works.
    const w2 = await openJournal(p, null);
    await w2.close();
  });

  it('takes over a stale lock whose process is gone, with a notice', async () => {
    const p = join(dir, 'j.jsonl');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(`${p}.lock`, `${dead}\n`);
    const notices: string[] = [];
    const w = await openJournal(p, header, { onNotice: (m) => notices.push(m) });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(String(dead));
    expect(readFileSync(`${p}.lock`, 'utf8').trim()).toBe(String(process.pid));
    await w.close();
  });

  it('after a torn last line, the next event starts on its own line and the journal reads back', async () => {
    const p = join(dir, 'j.jsonl');
    const ok = { type: 'attempt', to: '+34600000001', at: 'x' };
    writeFileSync(p, `${JSON.stringify(header)}\n${JSON.stringify(ok)}\n{"type":"sent","to":"+3460`);
    const before = await readJournal(p);
    expect(before.torn).toBe(true);
    expect(before.events).toHaveLength(1);

    const w = await openJournal(p, null);
    w.append({ type: 'sent', to: '+34600000001', at: 'y', id: 'wamid.2' });
    await w.close();
    const l = lines(p);
    expect(l[2]).toBe('{"type":"sent","to":"+3460');
    expect(JSON.parse(l[3]).type).toBe('resume');
    expect(JSON.parse(l[4])).toMatchObject({ type: 'sent', id: 'wamid.2' });
    const after = await readJournal(p);
    expect(after.torn).toBe(true);
    expect(after.events.map((e) => e.type)).toEqual(['attempt', 'resume', 'sent']);
  });
});
