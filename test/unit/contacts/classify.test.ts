import { describe, expect, it } from 'vitest';
import { classifyContacts, parseConsentDate } from '../../../src/core/contacts/classify.js';
import { openCsv } from '../../../src/core/contacts/read.js';
import { CONTACT_RULES } from '../../../src/core/contacts/rules.js';
import type { ClassifiedRow, ClassifyOptions } from '../../../src/core/contacts/types.js';
import { InputError } from '../../../src/core/errors.js';
import type { Finding } from '../../../src/core/findings.js';
import { tempFile } from './helpers.js';

async function classify(text: string, opts: ClassifyOptions = {}): Promise<{ rows: ClassifiedRow[]; findings: Finding[] }> {
  const csv = await openCsv(tempFile(text));
  const findings: Finding[] = [];
  const rows: ClassifiedRow[] = [];
  for await (const r of classifyContacts(csv, opts, (f) => findings.push(f))) rows.push(r);
  return { rows, findings };
}

const rules = (findings: Finding[], rule: string) => findings.filter((f) => f.rule === rule);
const HEAD = 'phone,consent,consent_at,name,city\n';
const NOW = new Date('2025-06-01T00:00:00Z');

describe('classifyContacts buckets', () => {
  it('puts every row in exactly one bucket, in the documented order', async () => {
    const { rows } = await classify(
      HEAD +
        '+34612345678,yes,2025-01-01,Ana,Madrid\n' + // sendable
        '+34612345679,no,2025-01-01,Luis,Madrid\n' + // no_consent
        'garbage,yes,2025-01-01,Eva,Madrid\n' + // invalid_phone
        '+34612345670,yes,2025-01-01,Sol,Madrid\n' + // suppressed
        '+34 612 345 678,yes,2025-01-01,Ana B,Madrid\n' + // duplicate of line 2
        '+34612345671,yes,2025-01-01,,Madrid\n' + // missing_variable
        '+34612345672,yes,2025-01-01,Pau,Bilbao\n' + // filtered_out
        'garbage,no,,,Bilbao\n', // filtered_out wins over everything
      { suppressed: new Set(['+34612345670']), where: [{ column: 'city', op: '=', value: 'madrid' }], requiredVariables: ['name'], now: NOW },
    );
    expect(rows.map((r) => [r.line, r.bucket])).toEqual([
      [2, 'sendable'], [3, 'no_consent'], [4, 'invalid_phone'], [5, 'suppressed'], [6, 'duplicate'], [7, 'missing_variable'], [8, 'filtered_out'], [9, 'filtered_out'],
    ]);
    expect(rows[0].phone).toBe('+34612345678');
  });

  it('emits no finding for filtered-out rows', async () => {
    const { findings } = await classify(HEAD + 'garbage,no,,,Bilbao\n', { where: [{ column: 'city', op: '=', value: 'Madrid' }] });
    expect(findings.filter((f) => f.line !== undefined)).toEqual([]);
  });

  it('rejects a --where column the file does not have', async () => {
    await expect(classify(HEAD + '+34612345678,yes,,a,b\n', { where: [{ column: 'town', op: '=', value: 'x' }] })).rejects.toThrow(InputError);
  });
});

describe('contact rules: each fires, and does not fire when it must not', () => {
  it('no-consent', async () => {
    const { findings } = await classify(HEAD + '+34612345678,,2025-01-01,a,b\n+34612345679,sí,2025-01-01,a,b\n');
    expect(rules(findings, 'no-consent')).toEqual([
      expect.objectContaining({ severity: 'warning', line: 2, column: 'consent', value: '' }),
    ]);
  });

  it('consent-stale only past --consent-max-age', async () => {
    const text = HEAD + '+34612345678,yes,2023-01-01,a,b\n+34612345679,yes,15/05/2025,a,b\n';
    const { rows, findings } = await classify(text, { consentMaxAgeDays: 365, now: NOW });
    expect(rules(findings, 'consent-stale')).toEqual([expect.objectContaining({ line: 2, column: 'consent_at', value: '2023-01-01' })]);
    expect(rows.map((r) => r.bucket)).toEqual(['no_consent', 'sendable']);
    expect(rules((await classify(text, { now: NOW })).findings, 'consent-stale')).toEqual([]);
  });

  it('consent-date-invalid', async () => {
    const { rows, findings } = await classify(HEAD + '+34612345678,yes,last spring,a,b\n+34612345679,yes,2025-05-01,a,b\n', { consentMaxAgeDays: 30, now: NOW });
    expect(rules(findings, 'consent-date-invalid').map((f) => f.line)).toEqual([2]);
    expect(rows[0].bucket).toBe('sendable');
  });

  it('consent-evidence-missing once per file without evidence columns', async () => {
    const { findings } = await classify('phone,consent\n+34612345678,yes\n+34612345679,yes\n');
    const f = rules(findings, 'consent-evidence-missing');
    expect(f).toHaveLength(1);
    expect(f[0].line).toBeUndefined();
  });

  it('consent-evidence-missing per consenting row with empty evidence, not for the others', async () => {
    const { findings } = await classify('phone,consent,consent_at,consent_source\n+34612345678,yes,,\n+34612345679,yes,,web form\n+34612345670,no,,\n');
    expect(rules(findings, 'consent-evidence-missing').map((f) => f.line)).toEqual([2]);
  });

  it('phone-needs-country names --default-country; not with a default country', async () => {
    const text = 'phone,consent,fecha_consentimiento\n612345678,sí,01/02/2025\n';
    const { findings, rows } = await classify(text);
    expect(rules(findings, 'phone-needs-country')).toEqual([expect.objectContaining({ severity: 'error', line: 2, value: '612345678' })]);
    expect(rules(findings, 'phone-needs-country')[0].message).toContain('--default-country');
    expect(rows[0].bucket).toBe('invalid_phone');
    const ok = await classify(text, { defaultCountry: 'ES' });
    expect(rules(ok.findings, 'phone-needs-country')).toEqual([]);
    expect(ok.rows[0]).toMatchObject({ bucket: 'sendable', phone: '+34612345678' });
  });

  it('invalid-phone, including empty cells and scientific notation', async () => {
    const { findings } = await classify(HEAD + ',yes,2025-01-01,a,b\n3.4612345678E+10,yes,2025-01-01,a,b\n+34612345678,yes,2025-01-01,a,b\n');
    const f = rules(findings, 'invalid-phone');
    expect(f.map((x) => x.line)).toEqual([2, 3]);
    expect(f[1].message).toMatch(/scientific/);
  });

  it('not-whatsapp-number for toll-free and premium numbers, not for mobiles', async () => {
    const { findings, rows } = await classify(HEAD + '+34900123456,yes,2025-01-01,a,b\n+34803123456,yes,2025-01-01,a,b\n+34612345678,yes,2025-01-01,a,b\n');
    expect(rules(findings, 'not-whatsapp-number').map((f) => f.line)).toEqual([2, 3]);
    expect(rows.map((r) => r.bucket)).toEqual(['invalid_phone', 'invalid_phone', 'sendable']);
  });

  it('landline warns but keeps the row sendable', async () => {
    const { findings, rows } = await classify(HEAD + '+34911234567,yes,2025-01-01,a,b\n+34612345678,yes,2025-01-01,a,b\n');
    expect(rules(findings, 'landline').map((f) => f.line)).toEqual([2]);
    expect(rows.map((r) => r.bucket)).toEqual(['sendable', 'sendable']);
  });

  it('duplicate names the first line; different numbers are not duplicates', async () => {
    const { findings } = await classify(HEAD + '+34612345678,yes,2025-01-01,a,b\n+34612345679,yes,2025-01-01,a,b\n0034 612 34 56 78,yes,2025-01-01,a,b\n');
    expect(rules(findings, 'duplicate')).toEqual([expect.objectContaining({ line: 4 })]);
    expect(rules(findings, 'duplicate')[0].message).toContain('line 2');
  });

  it('a row that could not be sent does not make a later complete one a duplicate', async () => {
    const { rows } = await classify(HEAD + '+34612345678,yes,2025-01-01,,b\n+34612345678,yes,2025-01-01,Ana,b\n', { requiredVariables: ['name'] });
    expect(rows.map((r) => r.bucket)).toEqual(['missing_variable', 'sendable']);
  });

  it('an explicit no wins over a later yes for the same number (consent-conflict)', async () => {
    const { rows, findings } = await classify(HEAD + '+34612345678,no,2025-01-01,a,b\n612345678,yes,2025-01-01,a,b\n', { defaultCountry: 'ES' });
    expect(rows.map((r) => r.bucket)).toEqual(['no_consent', 'no_consent']);
    expect(rows[0].phone).toBe('+34612345678'); // known, so that send can journal the skip
    expect(rules(findings, 'consent-conflict')).toEqual([expect.objectContaining({ line: 3, severity: 'warning' })]);
  });

  it('only the first later no revokes the yes (lint counts it once)', async () => {
    const { rows, findings } = await classify(HEAD + '+34612345678,yes,2025-01-01,a,b\n+34612345678,no,2025-01-01,a,b\n+34612345678,no,2025-01-01,a,b\n');
    expect(rows.map((r) => r.revokes)).toEqual([undefined, 2, undefined]);
    expect(rules(findings, 'consent-conflict')).toHaveLength(1);
  });

  it('a no outside the --where segment still withdraws consent for the number', async () => {
    const rows1 = (await classify(HEAD + '+34612345678,yes,2025-01-01,Ana,Madrid\n+34612345678,no,2025-01-01,Ana,Sevilla\n', { where: [{ column: 'city', op: '=', value: 'Madrid' }] })).rows;
    expect(rows1.map((r) => [r.bucket, r.revokes])).toEqual([['sendable', undefined], ['filtered_out', 2]]);
    const rows2 = (await classify(HEAD + '+34612345678,no,2025-01-01,Ana,Sevilla\n+34612345678,yes,2025-01-01,Ana,Madrid\n', { where: [{ column: 'city', op: '=', value: 'Madrid' }] })).rows;
    expect(rows2.map((r) => r.bucket)).toEqual(['filtered_out', 'no_consent']);
  });

  it('a later no revokes an earlier yes for the same number', async () => {
    const { rows, findings } = await classify(HEAD + '+34612345678,yes,2025-01-01,a,b\n+34612345679,yes,2025-01-01,a,b\n+34612345678,no,2025-01-01,a,b\n');
    expect(rows.map((r) => [r.bucket, r.revokes])).toEqual([['sendable', undefined], ['sendable', undefined], ['no_consent', 2]]);
    expect(rules(findings, 'consent-conflict').map((f) => f.line)).toEqual([4]);
  });

  it('suppressed is info, only for listed numbers', async () => {
    const { findings } = await classify(HEAD + '612345678,yes,2025-01-01,a,b\n612345679,yes,2025-01-01,a,b\n', { defaultCountry: 'ES', suppressed: new Set(['+34612345678']) });
    expect(rules(findings, 'suppressed')).toEqual([expect.objectContaining({ severity: 'info', line: 2 })]);
  });

  it('missing-variable names the empty column; whitespace counts as empty', async () => {
    const { findings } = await classify(HEAD + '+34612345678,yes,2025-01-01,  ,Madrid\n+34612345679,yes,2025-01-01,Ana,Madrid\n', { requiredVariables: ['name', 'city'] });
    expect(rules(findings, 'missing-variable')).toEqual([expect.objectContaining({ line: 2, column: 'name' })]);
  });

  it('ragged-row for a row with an unquoted delimiter; not for a regular row', async () => {
    const { findings } = await classify(HEAD + '+34612345678,yes,2025-01-01,Pérez, Ana,Madrid\n+34612345679,yes,2025-01-01,Ana,Madrid\n');
    expect(rules(findings, 'ragged-row').map((f) => f.line)).toEqual([2]);
  });

  it('catalogues every rule it can emit', async () => {
    const ids = CONTACT_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const { readFileSync } = await import('node:fs');
    const source = readFileSync(new URL('../../../src/core/contacts/classify.ts', import.meta.url), 'utf8');
    const emitted = [...source.matchAll(/rule: '([a-z0-9-]+)'/g)].map((m) => m[1]);
    expect(emitted.length).toBeGreaterThan(10);
    for (const id of emitted) expect(ids, id).toContain(id);
  });
});

describe('parseConsentDate', () => {
  it.each([
    ['2025-01-31', Date.UTC(2025, 0, 31)],
    ['2025-01-31T10:00:00Z', Date.UTC(2025, 0, 31, 10)],
    ['31/01/2025', Date.UTC(2025, 0, 31)],
    ['31-01-2025 09:30', Date.UTC(2025, 0, 31, 9, 30)],
    ['2025/01/31', Date.UTC(2025, 0, 31)],
    ['31/02/2025', undefined],
    ['01/13/2025', undefined],
    ['yesterday', undefined],
  ])('%s', (value, expected) => {
    expect(parseConsentDate(value)).toBe(expected);
  });
});
