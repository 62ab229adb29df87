import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { historyPath, loadHistory as loadFiles, parseDuration, recordSends as recordFiles } from '../../../src/core/history/index.js';

// The folder's own history file, as the send writes it.
const loadHistory = (d: string) => loadFiles([historyPath(d)]);
const recordSends = (d: string, entries: Parameters<typeof recordFiles>[1]) => recordFiles([historyPath(d)], entries);

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'history-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('recordSends / loadHistory', () => {
  it('appends to .campaign/history.jsonl and keeps the latest send per number', async () => {
    expect((await loadHistory(dir)).size).toBe(0);
    await recordSends(dir, [
      { to: '+34600000001', at: '2025-05-01T10:00:00.000Z', campaign: 'a' },
      { to: '+34600000002', at: '2025-05-01T11:00:00.000Z', campaign: 'a' },
    ]);
    await recordSends(dir, [{ to: '+34600000001', at: '2025-05-03T10:00:00.000Z', campaign: 'b' }]);
    await recordSends(dir, [{ to: '+34600000001', at: '2025-04-01T10:00:00.000Z', campaign: 'old' }]);
    const text = await readFile(join(dir, '.campaign/history.jsonl'), 'utf8');
    expect(text.split('\n')).toHaveLength(5);
    expect(JSON.parse(text.split('\n')[0])).toEqual({ to: '+34600000001', at: '2025-05-01T10:00:00.000Z', campaign: 'a' });
    const h = await loadHistory(dir);
    expect(h.get('+34600000001')).toBe(Date.parse('2025-05-03T10:00:00.000Z'));
    expect(h.get('+34600000002')).toBe(Date.parse('2025-05-01T11:00:00.000Z'));
  });

  it('skips torn and junk lines, and a new record after a torn line starts on its own line', async () => {
    await mkdir(join(dir, '.campaign'));
    await writeFile(join(dir, '.campaign/history.jsonl'), '{"to":"+34600000001","at":"2025-05-01T10:00:00Z","campaign":"a"}\nnot json\n{"to":"+3460');
    await recordSends(dir, [{ to: '+34600000002', at: '2025-05-02T10:00:00.000Z', campaign: 'b' }]);
    const h = await loadHistory(dir);
    expect([...h.keys()].sort()).toEqual(['+34600000001', '+34600000002']);
  });

  it('loads a million lines quickly', async () => {
    await mkdir(join(dir, '.campaign'));
    const out = createWriteStream(join(dir, '.campaign/history.jsonl'));
    const base = Date.parse('2025-01-01T00:00:00.000Z');
    for (let i = 0; i < 1_000_000; i++) {
      const line = `{"to":"+346${String(i % 200_000).padStart(8, '0')}","at":"${new Date(base + i * 1000).toISOString()}","campaign":"c${i % 5}"}\n`;
      if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((r) => out.end(() => r()));
    const t = performance.now();
    const h = await loadHistory(dir);
    const ms = performance.now() - t;
    expect(h.size).toBe(200_000);
    expect(h.get('+34600000000')).toBe(base + 800_000 * 1000);
    expect(ms).toBeLessThan(10_000);
  }, 60_000);
});

describe('parseDuration', () => {
  it.each([['7d', 7 * 86_400_000], ['12h', 12 * 3_600_000], ['30m', 1_800_000], ['45s', 45_000], ['2w', 14 * 86_400_000], ['1.5h', 5_400_000], ['0d', 0], [' 7D ', 7 * 86_400_000]])(
    '%j → %d ms', (v, ms) => expect(parseDuration(v)).toBe(ms));
  it.each(['', '7', 'd', '7 days', '-1d', '1y', 'abc'])('%j is a usage error naming --min-interval', (v) => {
    expect(() => parseDuration(v)).toThrow(UsageError);
    expect(() => parseDuration(v)).toThrow(/--min-interval/);
  });
});

