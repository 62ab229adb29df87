import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LineTail } from '../../../src/core/journal/tail.js';

async function lines(tail: LineTail): Promise<string[]> {
  const out: string[] = [];
  await tail.read((l) => {
    out.push(l);
  });
  return out;
}

describe('LineTail', () => {
  it('delivers only whole lines, holding a half-written one (even mid UTF-8 character) for the next read', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tail-')), 'j.jsonl');
    const tail = new LineTail(file);
    expect(await lines(tail)).toEqual([]); // no file yet
    const baja = Buffer.from('{"text":"BAJA, señor"}\n', 'utf8');
    const cut = baja.indexOf(Buffer.from('ñ')) + 1; // inside the two bytes of "ñ"
    writeFileSync(file, Buffer.concat([Buffer.from('a\n'), baja.subarray(0, cut)]));
    expect(await lines(tail)).toEqual(['a']);
    appendFileSync(file, baja.subarray(cut));
    expect(await lines(tail)).toEqual(['{"text":"BAJA, señor"}']);
    expect(await lines(tail)).toEqual([]);
  });

  it('starts over when the file was replaced by a shorter one', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tail-')), 'j.jsonl');
    writeFileSync(file, 'one\ntwo\n');
    const tail = new LineTail(file);
    expect(await lines(tail)).toEqual(['one', 'two']);
    writeFileSync(file, 'x\n');
    let restarted = false;
    const out: string[] = [];
    await tail.read((l) => void out.push(l), () => (restarted = true));
    expect([restarted, out]).toEqual([true, ['x']]);
  });

  it('starts from a given offset and can stop early', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tail-')), 'j.jsonl');
    writeFileSync(file, 'old\nnew1\nnew2\n');
    const tail = new LineTail(file, 4);
    const out: string[] = [];
    await tail.read((l) => (out.push(l), false));
    expect(out).toEqual(['new1']);
  });
});
