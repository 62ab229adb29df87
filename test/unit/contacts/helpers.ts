import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { openCsv } from '../../../src/core/contacts/read.js';
import type { RawRow, ReadCsvOptions } from '../../../src/core/contacts/types.js';

const dir = mkdtempSync(path.join(tmpdir(), 'campaign-contacts-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `content` (text as UTF-8, or raw bytes) to a fresh temp file and returns its path. */
export function tempFile(content: string | Buffer, name = `f${n++}.csv`): string {
  const file = path.join(dir, `${n++}-${name}`);
  writeFileSync(file, content);
  return file;
}

export function tempDir(): string {
  return dir;
}

export async function readAll(file: string, opts: ReadCsvOptions = {}): Promise<{ header: string[]; delimiter: string; encoding: string; rows: RawRow[] }> {
  const csv = await openCsv(file, opts);
  const rows: RawRow[] = [];
  for await (const r of csv.rows) rows.push(r);
  return { header: csv.header, delimiter: csv.delimiter, encoding: csv.encoding, rows };
}
