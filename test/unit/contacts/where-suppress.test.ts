import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../../src/core/errors.js';
import { compileWhere, parseWhere } from '../../../src/core/contacts/where.js';
import { optOutsPath, readOptOutList as readSuppressionList } from '../../../src/core/contacts/optouts.js';
import { tempFile } from './helpers.js';

describe('parseWhere', () => {
  it.each([
    ['city=Madrid', { column: 'city', op: '=', value: 'Madrid' }],
    [' city = Madrid ', { column: 'city', op: '=', value: 'Madrid' }],
    ['city!=Madrid', { column: 'city', op: '!=', value: 'Madrid' }],
    ['name~ana', { column: 'name', op: '~', value: 'ana' }],
    ['url=a=b', { column: 'url', op: '=', value: 'a=b' }],
    ['city=', { column: 'city', op: '=', value: '' }],
  ])('%j', (expr, cond) => {
    expect(parseWhere(expr)).toEqual(cond);
  });

  it.each(['Madrid', '=Madrid', '', '!x'])('rejects %j naming --where', (expr) => {
    expect(() => parseWhere(expr)).toThrow(UsageError);
    expect(() => parseWhere(expr)).toThrow(/--where/);
  });
});

describe('compileWhere', () => {
  const header = ['phone', 'Ciudad', 'name'];
  const filter = (expr: string) => compileWhere([parseWhere(expr)], header, 'c.csv')!;

  it('compares without case, accents or surrounding spaces', () => {
    expect(filter('ciudad=malaga')({ Ciudad: ' Málaga ' })).toBe(true);
    expect(filter('ciudad=malaga')({ Ciudad: 'Madrid' })).toBe(false);
    expect(filter('ciudad!=MADRID')({ Ciudad: 'madrid' })).toBe(false);
    expect(filter('name~jose')({ name: 'María José' })).toBe(true);
  });

  it('requires every condition', () => {
    const f = compileWhere([parseWhere('ciudad=Madrid'), parseWhere('name~ana')], header, 'c.csv')!;
    expect(f({ Ciudad: 'Madrid', name: 'Ana' })).toBe(true);
    expect(f({ Ciudad: 'Madrid', name: 'Luis' })).toBe(false);
  });

  it('names the available columns for an unknown one', () => {
    expect(() => compileWhere([parseWhere('town=Madrid')], header, 'c.csv')).toThrow(InputError);
    try { compileWhere([parseWhere('town=Madrid')], header, 'c.csv'); } catch (e) { expect((e as InputError).hint).toContain('phone, Ciudad, name'); }
  });
});

describe('readSuppressionList', () => {
  it('reads a plain list with comments, blank lines and national numbers', async () => {
    const file = tempFile('# opt-outs, 2024\n+34 612 345 678\n\n612345679  # asked by phone\nnot a number\n0034612345680\r\n');
    const list = await readSuppressionList(file, { defaultCountry: 'ES' });
    expect([...list.numbers].sort()).toEqual(['+34612345678', '+34612345679', '+34612345680']);
    expect(list.ignored).toBe(1);
    expect(list.firstIgnoredLine).toBe(5);
  });

  it('ignores national numbers when there is no default country', async () => {
    const list = await readSuppressionList(tempFile('+34612345678\n612345679\n'));
    expect([...list.numbers]).toEqual(['+34612345678']);
    expect(list.ignored).toBe(1);
  });

  it('reads a CSV by its phone column', async () => {
    const file = tempFile('name;Teléfono;motivo\nAna;612 345 678;baja\nLuis;;x\nEva;+34 612 345 679;"spam, dice"\n');
    const list = await readSuppressionList(file, { defaultCountry: 'ES' });
    expect([...list.numbers].sort()).toEqual(['+34612345678', '+34612345679']);
    expect(list.ignored).toBe(0);
  });

  it('returns an empty list for an empty file', async () => {
    expect((await readSuppressionList(tempFile(''))).numbers.size).toBe(0);
  });

  it('.campaign/optouts.txt: missing → empty; BOM, CRLF, comments, any human format; bare digits need the default country', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'optouts-'));
    expect((await readSuppressionList(optOutsPath(dir), { missing: 'empty' })).numbers.size).toBe(0);
    mkdirSync(path.join(dir, '.campaign'));
    writeFileSync(optOutsPath(dir), '\uFEFF+34600000001\r\n# comment\n\n34600000002\n+34 600 000 003\n0034 610 00 00 50\n(+34) 610-000-051\n');
    const list = await readSuppressionList(optOutsPath(dir), { missing: 'empty' });
    expect([...list.numbers]).toEqual(['+34600000001', '+34600000003', '+34610000050', '+34610000051']);
    expect(list.firstIgnoredLine).toBe(4);
    expect((await readSuppressionList(optOutsPath(dir), { missing: 'empty', defaultCountry: 'ES' })).numbers.has('+34600000002')).toBe(true);
  });

  it('fails on a missing file', async () => {
    await expect(readSuppressionList('/nonexistent/optouts.txt')).rejects.toThrow(InputError);
  });
});
