/** Opt-out lists as people really have them: Excel exports in their own encoding, national numbers, junk entries. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mergeOptions } from '../../../src/core/config/load.js';
import { parseOptOutLine, readOptOutList, unreadableFinding } from '../../../src/core/contacts/optouts.js';
import { lint } from '../../../src/core/lint/index.js';
import type { Finding } from '../../../src/core/findings.js';
import { tempFile } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/contacts/${name}`, import.meta.url));

describe('an Excel opt-out list (Windows-1252, Teléfono;Fecha baja;Motivo, national numbers)', () => {
  it('is honoured without --encoding, and its two junk entries are counted with their lines', async () => {
    const list = await readOptOutList(fixture('optouts-excel-cp1252.csv'), { defaultCountry: 'ES' });
    expect([...list.numbers].sort()).toEqual(['+34612345601', '+34612345602', '+34612345603', '+34612345604']);
    expect([list.ignored, list.ignoredLines, list.firstIgnoredLine, list.needCountry]).toEqual([2, [5, 8], 5, 0]);
    const f = unreadableFinding(fixture('optouts-excel-cp1252.csv'), list)!;
    expect(f).toMatchObject({ rule: 'suppress-unreadable', severity: 'warning', value: fixture('optouts-excel-cp1252.csv') });
    expect(f.message).toBe('2 entries of the opt-out list optouts-excel-cp1252.csv suppress nobody (lines 5, 8): they are not phone numbers.');
  });

  it('without a default country: the national numbers are one finding that names --default-country', async () => {
    const list = await readOptOutList(fixture('optouts-excel-cp1252.csv'));
    expect([...list.numbers].sort()).toEqual(['+34612345602', '+34612345603']);
    expect([list.ignored, list.needCountry]).toEqual([4, 2]);
    expect(unreadableFinding('x.csv', list)!.message).toMatch(/^4 entries .* \(lines 2, 5, 6, 8\): 2 are national numbers that need --default-country, the others are not phone numbers\.$/);
    const national = await readOptOutList(tempFile('612345678\n612345679\n'));
    expect(unreadableFinding('n.txt', national)!.message).toMatch(/\(lines 1, 2\): they are national numbers: pass --default-country to read them\.$/);
  });

  it('UTF-16LE "Unicode text" with a Móvil column is read by its BOM', async () => {
    const list = await readOptOutList(fixture('optouts-excel-unicode.txt'), { defaultCountry: 'ES' });
    expect([...list.numbers].sort()).toEqual(['+34612345605', '+34612345606']);
    expect(list.ignored).toBe(0);
  });

  it('UTF-16BE with its BOM, and a UTF-8 list with a BOM', async () => {
    const be = Buffer.from('\ufeffTeléfono\n+34612345678\n', 'utf16le').swap16();
    expect([...(await readOptOutList(tempFile(be))).numbers]).toEqual(['+34612345678']);
    const u8 = tempFile(Buffer.from('\ufeffMóvil;Motivo\n612345678;baja\n'));
    expect([...(await readOptOutList(u8, { defaultCountry: 'ES' })).numbers]).toEqual(['+34612345678']);
  });

  it('a title and a sep= line above the header, ="..." cells, and every phone column of a row', async () => {
    const text = 'sep=;\r\nBajas WhatsApp - diciembre 2026;;\r\nMóvil;Teléfono;Motivo\r\n="612345671";="912345671";baja\r\n;+34 612 345 672;no molestar\r\n';
    const list = await readOptOutList(tempFile(Buffer.from(text, 'latin1')), { defaultCountry: 'ES' });
    expect([...list.numbers].sort()).toEqual(['+34612345671', '+34612345672', '+34912345671']);
    expect(list.ignored).toBe(0);
  });

  it('a plain list in Windows-1252 with accented comments', async () => {
    const list = await readOptOutList(tempFile(Buffer.from('# bajas pedidas por teléfono\n612345678 # José\nséptimo\n', 'latin1')), { defaultCountry: 'ES' });
    expect([...list.numbers]).toEqual(['+34612345678']);
    expect(list.ignoredLines).toEqual([3]);
  });

  it('a plain list stays plain when a later line looks like a header', async () => {
    const list = await readOptOutList(tempFile('612345678\nTeléfono;Motivo\n612345679;baja\n'), { defaultCountry: 'ES' });
    expect([...list.numbers]).toEqual(['+34612345678']);
    expect(list.ignoredLines).toEqual([2, 3]);
  });

  it('no finding for a list whose entries are all numbers', async () => {
    const list = await readOptOutList(tempFile('+34612345678\n\n# comment\n+34 612 345 679\n'));
    expect(list.ignored).toBe(0);
    expect(unreadableFinding('ok.txt', list)).toBeUndefined();
  });

  it('keeps the first lines only, and the message the first five', async () => {
    const list = await readOptOutList(tempFile(Array.from({ length: 30 }, (_, i) => `junk ${i}`).join('\n')));
    expect(list.ignored).toBe(30);
    expect(list.ignoredLines).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(unreadableFinding('j.txt', list)!.message).toContain('30 entries of the opt-out list j.txt suppress nobody (lines 1, 2, 3, 4, 5, …)');
  });

  it('one line of the followed list: ="..." unwrapped too', () => {
    expect(parseOptOutLine('="0034612345678"')).toBe('+34612345678');
    expect(parseOptOutLine('# only a comment')).toBeNull();
    expect(parseOptOutLine('n/d')).toBe(false);
  });
});

describe('lint with an Excel opt-out list', () => {
  it('suppresses its numbers and reports its unreadable entries once, and the header found under a title', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'optouts-lint-'));
    writeFileSync(path.join(dir, 'c.csv'), 'Exportado el 01/12/2026;;\n\nMóvil;Consentimiento;Nombre\n612345601;sí;Ana\n612345699;sí;Luis\n');
    mkdirSync(path.join(dir, '.campaign'));
    writeFileSync(path.join(dir, '.campaign', 'optouts.txt'), '+34612345699\nllamar luego\n');
    const options = mergeOptions({}, { defaultCountry: 'ES', suppress: [fixture('optouts-excel-cp1252.csv')] });
    const findings: Finding[] = [];
    const r = await lint({ contactsPath: path.join(dir, 'c.csv'), options, cwd: dir, env: {}, onFinding: (f) => findings.push(f) });
    expect(r.contacts).toMatchObject({ rows: 2, suppressed: 2, sendable: 0 });
    const unreadable = findings.filter((f) => f.rule === 'suppress-unreadable');
    expect(unreadable.map((f) => path.basename(f.value!))).toEqual(['optouts-excel-cp1252.csv', 'optouts.txt']);
    expect(unreadable[1].message).toMatch(/^1 entry .*optouts\.txt suppresses nobody \(line 2\): it is not a phone number\.$/);
    expect(findings.filter((f) => f.rule === 'header-not-first')).toMatchObject([{ line: 3 }]);
    expect(findings.filter((f) => f.rule === 'suppressed').map((f) => f.line)).toEqual([4, 5]);
  });

  it('--header-line is honoured and gives no header finding', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'optouts-lint-'));
    writeFileSync(path.join(dir, 'c.csv'), 'Contactos\n\nMóvil;Consentimiento\n612345601;sí\n');
    const findings: Finding[] = [];
    const r = await lint({ contactsPath: path.join(dir, 'c.csv'), options: mergeOptions({}, { defaultCountry: 'ES', headerLine: 3 }), cwd: dir, env: {}, onFinding: (f) => findings.push(f) });
    expect(r.contacts).toMatchObject({ rows: 1, sendable: 1 });
    expect(findings.map((f) => f.rule)).not.toContain('header-not-first');
  });
});
