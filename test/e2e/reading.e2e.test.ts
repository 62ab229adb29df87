/**
 * Lists as spreadsheets and CRMs export them, through the built CLI: a title above the header,
 * Excel's sep= line, and an Excel opt-out list in Windows-1252 that must be honoured by a send.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT } from '../helpers/build-once.js';
import { readJsonl, runCli, tempDir } from '../helpers/run-cli.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'contacts');
let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  await ensureBuilt();
  tmp = tempDir('campaign-reading-');
  copyFileSync(path.join(FIXTURES, 'optouts-excel-cp1252.csv'), path.join(tmp.dir, 'bajas.csv'));
  // A CRM report: title, export date and an empty row above the header; two of its people are on the Excel opt-out list.
  writeFileSync(
    path.join(tmp.dir, 'crm.csv'),
    'Informe: Contactos activos;;\r\nExportado el 01/12/2026 14:32;;\r\n;;\r\nNombre;Móvil;Consentimiento\r\nAna;612345601;Sí\r\nLuis;="612345602";Sí\r\nEva;612345611;Sí\r\n',
  );
  writeFileSync(path.join(tmp.dir, 'message.md'), '---\ntemplate: aviso\nlanguage: es\ncategory: utility\nparams: [Nombre]\n---\nHola {{Nombre}}, tu cita es mañana.\n');
}, 120_000);
afterAll(() => tmp?.cleanup());

describe('lists from spreadsheets and CRMs', () => {
  it('lint finds the header under the title, reads the Excel opt-out list and says which entries it could not read', async () => {
    const r = await runCli(['lint', 'crm.csv', '--default-country', 'ES', '--suppress', 'bajas.csv', '--json'], { cwd: tmp.dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.contacts).toMatchObject({ rows: 3, sendable: 1, suppressed: 2 });
    expect(out.findings.filter((f: { rule: string }) => f.rule === 'header-not-first')).toMatchObject([{ severity: 'info', line: 4 }]);
    const unreadable = out.findings.filter((f: { rule: string }) => f.rule === 'suppress-unreadable');
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0].message).toContain('bajas.csv');
    expect(unreadable[0].message).toContain('lines 5, 8');
    expect(out.findings.filter((f: { rule: string }) => f.rule === 'suppressed').map((f: { line: number }) => f.line)).toEqual([5, 6]);
  });

  it('send messages nobody on the Excel opt-out list', async () => {
    const r = await runCli(['send', 'crm.csv', '--template', 'message.md', '--default-country', 'ES', '--suppress', 'bajas.csv', '--yes', '--rate', '100'], { cwd: tmp.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(readJsonl(path.join(tmp.dir, '.campaign', 'sandbox-outbox.jsonl')).lines.map((m: { to: string }) => m.to)).toEqual(['+34612345611']);
  });

  it('--header-line on the blank row under the title is refused in plain words, exit 2', async () => {
    const r = await runCli(['lint', 'crm.csv', '--default-country', 'ES', '--header-line', '3'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Line 3 is not where a row starts/);
    expect(r.stderr).toContain('--header-line');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("Excel's sep= line is not taken for the header", async () => {
    copyFileSync(path.join(FIXTURES, 'contacts-sep-semicolon.csv'), path.join(tmp.dir, 'sep.csv'));
    const r = await runCli(['lint', 'sep.csv', '--default-country', 'ES', '--json'], { cwd: tmp.dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.contacts).toMatchObject({ rows: 3, sendable: 2, no_consent: 1 });
    expect(out.findings.find((f: { rule: string }) => f.rule === 'no-consent')).toMatchObject({ line: 4 });
    expect(out.findings.map((f: { rule: string }) => f.rule)).not.toContain('header-not-first');
  });
});
