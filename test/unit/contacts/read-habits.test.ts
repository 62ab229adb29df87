/** Spreadsheet habits in real exports: Excel's sep= line, titles above the header, ="..." cells. */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { openCsv, unforceText } from '../../../src/core/contacts/read.js';
import { InputError } from '../../../src/core/errors.js';
import { readAll, tempFile } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/contacts/${name}`, import.meta.url));

async function failure(p: Promise<unknown>): Promise<InputError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

describe("Excel's sep= first line", () => {
  it('names the delimiter, is not the header, and rows keep their true lines', async () => {
    const csv = await openCsv(fixture('contacts-sep-semicolon.csv'));
    const rows = [];
    for await (const r of csv.rows) rows.push(r);
    expect(csv.delimiter).toBe(';');
    expect(csv.header).toEqual(['Nombre', 'Teléfono', 'Consentimiento', 'Ciudad']);
    expect(csv.headerLine).toBe(2);
    expect(csv.findings).toEqual([]);
    expect(rows.map((r) => [r.line, r.record['Teléfono']])).toEqual([[3, '612 345 611'], [4, '612 345 612'], [5, '612 345 613']]);
    expect(rows[2].record.Nombre).toBe('Martínez; José');
  });

  it('wins over the sniffer: sep=, on a list whose values are full of semicolons', async () => {
    const { delimiter, rows } = await readAll(tempFile('sep=,\nphone,consent,note\n+34612345678,yes,a;b;c;d\n+34612345679,yes,e;f;g;h\n'));
    expect(delimiter).toBe(',');
    expect(rows.map((r) => r.record.note)).toEqual(['a;b;c;d', 'e;f;g;h']);
  });

  it('reads sep= with a tab, in quotes, and after a BOM', async () => {
    expect((await readAll(tempFile('sep=\t\nphone\tconsent\n1\t2\n'))).delimiter).toBe('\t');
    const quoted = await readAll(tempFile('"sep=;"\r\nphone;consent\r\n1;2\r\n'));
    expect([quoted.delimiter, quoted.rows[0].line]).toEqual([';', 3]);
    const bom = await readAll(tempFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('sep=;\nphone;consent\n1;2\n')])));
    expect(bom.header).toEqual(['phone', 'consent']);
  });

  it('is not eaten when it is a header cell followed by more cells', async () => {
    const { header, rows } = await readAll(tempFile('sep=,phone,consent\nx,+34612345678,yes\n'));
    expect(header).toEqual(['sep=', 'phone', 'consent']);
    expect(rows[0]).toMatchObject({ line: 2, record: { phone: '+34612345678' } });
    const quoted = await readAll(tempFile('"sep=;",phone,consent\nx,1,2\n'));
    expect(quoted.header).toEqual(['sep=;', 'phone', 'consent']);
  });

  it('only on the first line', async () => {
    const { rows } = await readAll(tempFile('phone,consent\nsep=;,yes\n'));
    expect(rows[0].record).toEqual({ phone: 'sep=;', consent: 'yes' });
  });

  it('alone is an empty file', async () => {
    expect((await failure(openCsv(tempFile('sep=;\r\n')))).message).toMatch(/sep=/);
  });
});

describe('a title, notes or blank rows above the header', () => {
  it('finds the header of a CRM report export and says where, with true row lines', async () => {
    const csv = await openCsv(fixture('crm-title-rows.csv'));
    const rows = [];
    for await (const r of csv.rows) rows.push(r);
    expect(csv.delimiter).toBe(';');
    expect(csv.header).toEqual(['Nombre', 'Apellidos', 'Email', 'Móvil', 'Consentimiento', 'Fecha alta']);
    expect(csv.headerLine).toBe(4);
    expect(csv.findings).toHaveLength(1);
    expect(csv.findings[0]).toMatchObject({ rule: 'header-not-first', severity: 'info', line: 4 });
    expect(csv.findings[0].message).toMatch(/line 4.*2 rows above.*--header-line/);
    expect(rows.map((r) => [r.line, r.record['Móvil']])).toEqual([[5, '612345621'], [6, '612345622'], [7, '612345623']]);
  });

  it('no finding when the first row is the header, nor for blank lines above it', async () => {
    expect((await openCsv(tempFile('phone,consent\n1,2\n'))).findings).toEqual([]);
    const csv = await openCsv(tempFile('\n\r\nphone,consent\n+34612345678,yes\n'));
    expect([csv.headerLine, csv.findings]).toEqual([3, []]);
  });

  it('a first row naming no phone column is still the header when nothing below is a better one', async () => {
    // A list whose phone column has its own name (--phone-column): the rows below are as wide.
    const { header, rows } = await readAll(tempFile('Contacto,Acepta\n+34612345678,yes\n+34612345679,yes\n'));
    expect(header).toEqual(['Contacto', 'Acepta']);
    expect(rows.map((r) => r.line)).toEqual([2, 3]);
  });

  it('a data row that mentions "phone" does not steal the header from a row as wide as it', async () => {
    const { header, rows } = await readAll(tempFile('Contacto,Nota\n+34612345678,phone\nphone,mobile\n'));
    expect(header).toEqual(['Contacto', 'Nota']);
    expect(rows).toHaveLength(2);
  });

  it('--phone-column names the header row to find under a title', async () => {
    const csv = await openCsv(tempFile('Listado\nContacto;Acepta;Nombre\n+34612345678;sí;Ana\n'), { phoneColumn: 'contacto' });
    expect([csv.headerLine, csv.header[0]]).toEqual([2, 'Contacto']);
  });

  it('--header-line takes the row on that line, without a finding, even when it names no phone column', async () => {
    const text = 'Informe de altas\nGenerado por: CRM\n\nContacto;Acepta\n+34612345678;sí\n';
    const csv = await openCsv(tempFile(text), { headerLine: 4 });
    const rows = [];
    for await (const r of csv.rows) rows.push(r);
    expect([csv.header, csv.headerLine, csv.findings, csv.delimiter]).toEqual([['Contacto', 'Acepta'], 4, [], ';']);
    expect(rows.map((r) => r.line)).toEqual([5]);
  });

  it('--header-line on a blank line, inside a quoted field, or past the end is refused naming it', async () => {
    expect((await failure(openCsv(tempFile('title\n\nphone,consent\n1,2\n'), { headerLine: 2 }))).hint).toMatch(/--header-line/);
    const inside = await failure(openCsv(tempFile('"a\nb",c\nphone,consent\n'), { headerLine: 2 }));
    expect(inside.message).toMatch(/Line 2.*quoted field/);
    const past = await failure(openCsv(tempFile('phone,consent\n1,2\n'), { headerLine: 9 }));
    expect(past.message).toMatch(/past the end/);
    expect((await failure(openCsv(tempFile('sep=;\nphone;consent\n'), { headerLine: 1 }))).message).toMatch(/sep=/);
  });

  it('no header found: the error says so and names --header-line', async () => {
    const err = await failure(openCsv(tempFile('Exportado el 01/12/2026\nContacto,Acepta\n+34612345678,sí\n')));
    expect(err.message).toMatch(/No header row found/);
    expect(err.line).toBe(1);
    expect(err.hint).toMatch(/--header-line/);
  });

  it('sniffs the delimiter below a title that has none, or commas of its own', async () => {
    const a = await readAll(tempFile('Exportado el 01/12/2026\nteléfono;consentimiento;nombre\n612345678;sí;Ana\n612345679;sí;Eva\n'));
    expect([a.delimiter, a.header.length, a.rows[0].line]).toEqual([';', 3, 3]);
    const b = await readAll(tempFile('Informe, diciembre, 2026, Madrid\nteléfono\tconsentimiento\n612345678\tsí\n612345679\tsí\n'));
    expect([b.delimiter, b.rows.map((r) => r.line)]).toEqual(['\t', [3, 4]]);
  });
});

describe('="..." text-forcing cells', () => {
  it('are read as their text in every column of a Google Forms export', async () => {
    const { header, rows } = await readAll(fixture('google-forms-text.csv'));
    expect(header[2]).toBe('Número de WhatsApp');
    expect(rows.map((r) => r.record['Número de WhatsApp'])).toEqual(['0034612345631', '612345632', '+34 612 345 633']);
    expect(rows.map((r) => r.record['Código postal'])).toEqual(['08001', '28001', '46001']);
    expect(rows[2].record['Nombre completo']).toBe('Pilar "Pili" Sanz');
  });

  it('only a whole ="..." cell is unwrapped; formulas and other text stay as they are', () => {
    expect(unforceText('="0034612345678"')).toBe('0034612345678');
    expect(unforceText('="a ""b"""')).toBe('a "b"');
    expect(unforceText('=""')).toBe('');
    for (const s of ['=SUM(A1:A3)', '="a"&B2', '="unclosed', '"x"', '= "612"', '612', '']) expect(unforceText(s)).toBe(s);
  });
});
