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

  it('concurrent reads while another process appends: every line exactly once, in order', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tail-')), 'j.jsonl');
    writeFileSync(file, '');
    const tail = new LineTail(file);
    const seen: string[] = [];
    const N = 4000;
    // A real writer in another process, appending whole lines in small bursts.
    const { spawn } = await import('node:child_process');
    const writer = spawn(process.execPath, ['-e', `
      const fs = require('fs');
      let i = 0;
      const t = setInterval(() => {
        const burst = [];
        for (let k = 0; k < 40 && i < ${N}; k++) burst.push(JSON.stringify({ n: i++, pad: 'x'.repeat(i % 97) }));
        fs.appendFileSync(process.argv[1], burst.join('\\n') + '\\n');
        if (i >= ${N}) clearInterval(t);
      }, 1);
    `, file]);
    const done = new Promise((resolve) => writer.on('exit', resolve));
    let finished = false;
    void done.then(() => (finished = true));
    // Many overlapping refreshes, as the webhook's index and a send's watcher do.
    while (!finished) await Promise.all(Array.from({ length: 8 }, () => tail.read((l) => void seen.push(l))));
    await tail.read((l) => void seen.push(l));
    expect(seen.map((l) => JSON.parse(l).n)).toEqual(Array.from({ length: N }, (_, i) => i));
  }, 30_000);
});
