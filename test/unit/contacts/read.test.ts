import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../../src/core/errors.js';
import { nameColumns, openCsv, sniffDelimiter } from '../../../src/core/contacts/read.js';
import { readAll, tempDir, tempFile } from './helpers.js';

describe('openCsv dialects', () => {
  it('reads comma-separated values with LF', async () => {
    const { header, delimiter, rows } = await readAll(tempFile('phone,consent,name\n+34612345678,yes,Ana\n+34612345679,no,Luis\n'));
    expect(delimiter).toBe(',');
    expect(header).toEqual(['phone', 'consent', 'name']);
    expect(rows).toEqual([
      { line: 2, record: { phone: '+34612345678', consent: 'yes', name: 'Ana' }, fieldCount: 3 },
      { line: 3, record: { phone: '+34612345679', consent: 'no', name: 'Luis' }, fieldCount: 3 },
    ]);
  });

  it('sniffs semicolons even when values contain commas', async () => {
    const { delimiter, rows } = await readAll(tempFile('teléfono;consentimiento;nombre\n612345678;sí;"Pérez, Ana"\n'));
    expect(delimiter).toBe(';');
    expect(rows[0].record).toEqual({ 'teléfono': '612345678', consentimiento: 'sí', nombre: 'Pérez, Ana' });
  });

  it('sniffs tabs', async () => {
    const { delimiter, rows } = await readAll(tempFile('phone\tconsent\tcity\n+34612345678\tyes\tSan Sebastián\n'));
    expect(delimiter).toBe('\t');
    expect(rows[0].record.city).toBe('San Sebastián');
  });

  it('ignores delimiters inside quoted header names when sniffing', () => {
    expect(sniffDelimiter('"a;b;c",phone\n1,2\n')).toBe(',');
    expect(sniffDelimiter('"x,y";phone;consent\n1;2;3\n')).toBe(';');
    expect(sniffDelimiter('single\n1\n')).toBe(',');
  });

  it('strips a UTF-8 BOM from the first header name', async () => {
    const { header, encoding } = await readAll(tempFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('phone,consent\n1,2\n')])));
    expect(header).toEqual(['phone', 'consent']);
    expect(encoding).toBe('utf-8');
  });

  it('handles CRLF line endings without leaking \\r into values', async () => {
    const { rows } = await readAll(tempFile('phone,consent\r\n+34612345678,yes\r\n+34612345679,no\r\n'));
    expect(rows.map((r) => [r.line, r.record.consent])).toEqual([[2, 'yes'], [3, 'no']]);
  });

  it('keeps true line numbers across quoted multiline fields and blank lines', async () => {
    const text = 'phone,consent,note\n+34600000001,yes,"one\ntwo\nthree"\n\n+34600000002,yes,plain\r\n"+34600000003",yes,"a\r\nb"\n+34600000004,yes,last';
    const { rows } = await readAll(tempFile(text));
    expect(rows.map((r) => r.line)).toEqual([2, 6, 7, 9]);
    expect(rows[0].record.note).toBe('one\ntwo\nthree');
  });

  it('skips rows that are only delimiters, as spreadsheets export below the data', async () => {
    const { rows } = await readAll(tempFile('phone;consent\n612345678;si\n;\n;;\n612345679;si\n'));
    expect(rows.map((r) => r.line)).toEqual([2, 5]);
  });

  it('decodes windows-1252 exports', async () => {
    const bytes = Buffer.from('Tel\xe9fono;Consentimiento\r\n612345678;S\xed\r\n612345679;s\xed;Jos\xe9\r\n', 'latin1');
    const { header, rows, encoding } = await readAll(tempFile(bytes), { encoding: 'windows-1252' });
    expect(encoding).toBe('windows-1252');
    expect(header).toEqual(['Teléfono', 'Consentimiento']);
    expect(rows[0].record).toEqual({ 'Teléfono': '612345678', Consentimiento: 'Sí' });
    expect(rows[1].fieldCount).toBe(3);
  });

  it('accepts cp1252, latin1 and iso-8859-1 as names', async () => {
    const file = tempFile(Buffer.from('nombre,tel\nJos\xe9,1\n', 'latin1'));
    for (const encoding of ['cp1252', 'latin1', 'ISO-8859-1']) {
      const { rows } = await readAll(file, { encoding });
      expect(rows[0].record.nombre).toBe('José');
    }
  });

  it('decodes UTF-16LE with a BOM even without --encoding', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('phone\tconsent\r\n+34612345678\tsí\r\n', 'utf16le')]);
    const { header, rows, encoding } = await readAll(tempFile(bytes));
    expect(encoding).toBe('utf-16le');
    expect(header).toEqual(['phone', 'consent']);
    expect(rows[0].record.consent).toBe('sí');
  });

  it('decodes multi-byte characters split across read chunks', async () => {
    const row = 'José,Ñandú,€\n';
    const text = 'a,b,c\n' + row.repeat(40_000);
    const { rows } = await readAll(tempFile(text));
    expect(rows).toHaveLength(40_000);
    expect(rows.every((r) => r.record.a === 'José' && r.record.c === '€')).toBe(true);
    expect(rows[39_999].line).toBe(40_001);
  });

  it('yields rows that are shorter or longer than the header', async () => {
    const { rows } = await readAll(tempFile('phone,consent,name\n1,yes\n2,yes,Ana,extra\n'));
    expect(rows[0].record).toEqual({ phone: '1', consent: 'yes', name: '' });
    expect(rows[0].fieldCount).toBe(2);
    expect(rows[1].record).toEqual({ phone: '2', consent: 'yes', name: 'Ana' });
    expect(rows[1].fieldCount).toBe(4);
  });

  it('accepts a header-only file', async () => {
    const { header, rows } = await readAll(tempFile('phone,consent\n'));
    expect(header).toEqual(['phone', 'consent']);
    expect(rows).toEqual([]);
  });

  it('trims header names and names empty and repeated ones', async () => {
    const { header } = await readAll(tempFile(' phone , consent,,phone\n1,2,3,4\n'));
    expect(header).toEqual(['phone', 'consent', 'column_3', 'phone_2']);
    expect(nameColumns(['a', 'a', 'a_2'])).toEqual(['a', 'a_2', 'a_2_2']);
  });
});

describe('openCsv errors', () => {
  async function failure(p: Promise<unknown>): Promise<InputError> {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }

  it('names a missing file', async () => {
    const err = await failure(openCsv('/nonexistent/contacts.csv'));
    expect(err.message).toMatch(/no such file/i);
    expect(err.file).toBe('/nonexistent/contacts.csv');
    expect(err.exitCode).toBe(2);
  });

  it('refuses a directory', async () => {
    const err = await failure(openCsv(tempDir()));
    expect(err.message).toMatch(/directory/);
  });

  it('refuses an empty file, and one with only blank lines', async () => {
    expect((await failure(openCsv(tempFile('')))).message).toMatch(/empty/);
    expect((await failure(openCsv(tempFile('\n\r\n  \n')))).message).toMatch(/empty/);
  });

  it('refuses a binary file', async () => {
    const err = await failure(openCsv(tempFile(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]))));
    expect(err.message).toMatch(/binary/);
    expect(err.hint).toMatch(/CSV/);
  });

  it('recognises an .xlsx workbook', async () => {
    const err = await failure(openCsv(tempFile(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]))));
    expect(err.message).toMatch(/workbook/);
  });

  it('names the line of invalid UTF-8 and suggests --encoding windows-1252', async () => {
    const bytes = Buffer.from('phone,name\n+34612345678,Ana\n+34612345679,Jos\xe9\n', 'latin1');
    const err = await failure(readAll(tempFile(bytes)));
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/line 3.*UTF-8/i);
    expect(err.hint).toContain('--encoding windows-1252');
  });

  it('reports invalid UTF-8 in the header too', async () => {
    const err = await failure(openCsv(tempFile(Buffer.from('Tel\xe9fono;Consentimiento\r\n', 'latin1'))));
    expect(err.line).toBe(1);
    expect(err.hint).toContain('--encoding windows-1252');
  });

  it('names the line where an unterminated quote opens', async () => {
    const err = await failure(readAll(tempFile('phone,name\n1,ok\n2,"broken\n3,x\n4,y\n')));
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/never closed/);
    expect(err.hint).toMatch(/""/);
  });

  it('rejects an unknown encoding with a usage error listing the valid ones', async () => {
    const err = await openCsv(tempFile('a\n'), { encoding: 'klingon' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).hint).toMatch(/utf-8.*windows-1252.*latin1.*utf-16le/);
  });
});

describe('openCsv hash: the SHA-256 of the bytes the pass read (what a send records)', () => {
  // Several of the stream's 256 KiB reads, quoted newlines and commas across them, a BOM, CRLF,
  // and no newline at the end: every byte must be hashed once, in order.
  const body = Array.from({ length: 30_000 }, (_, i) => `${i % 97 === 0 ? '"Ana, ""la"" \r\nsegunda"' : `Persona ${i}`},+3461${String(i).padStart(7, '0')},sí`).join('\r\n');
  const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`nombre,telefono,consentimiento\r\n${body}`)]);
  const want = createHash('sha256').update(bytes).digest('hex');

  it('is the file hash once the rows are read to the end, and undefined before', async () => {
    const csv = await openCsv(tempFile(bytes), { hash: true });
    expect(bytes.length).toBeGreaterThan(3 * 256 * 1024);
    expect(csv.sha256()).toBeUndefined();
    let rows = 0;
    for await (const _ of csv.rows) rows++;
    expect(rows).toBe(30_000);
    expect(csv.sha256()).toBe(want);
  });

  it('is the same through the chunked pass the lint workers are fed from', async () => {
    const csv = await openCsv(tempFile(bytes), { hash: true });
    const cut = csv.chunks!(64 * 1024)!;
    let chunks = 0;
    for await (const _ of cut.items) chunks++;
    expect(chunks).toBeGreaterThan(3);
    expect(csv.sha256()).toBe(want);
  });

  it('is not taken unless asked for', async () => {
    const csv = await openCsv(tempFile(bytes));
    for await (const _ of csv.rows);
    expect(csv.sha256()).toBeUndefined();
  });
});
