import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeOptions } from '../../../src/core/config/load.js';
import type { Finding } from '../../../src/core/findings.js';
import { lint } from '../../../src/core/lint/index.js';
import { compileRowChecks } from '../../../src/core/lint/row-checks.js';
import { bindColumns } from '../../../src/core/template/render.js';
import type { Template, TemplateMeta } from '../../../src/core/template/types.js';

const dir = mkdtempSync(path.join(tmpdir(), 'campaign-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(name: string, text: string): string {
  const p = path.join(dir, `${n++}-${name}`);
  writeFileSync(p, text);
  return p;
}

const meta = (over: Partial<TemplateMeta> = {}): TemplateMeta => ({
  template: 'welcome', language: 'es', category: 'marketing', params: [], links: [], extra: {}, ...over,
});

function template(body: string, m: TemplateMeta | null = meta()): Template {
  const placeholders = [...new Set([...body.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)].map((x) => x[1]))];
  return { path: 't.md', meta: m, body, placeholders, bodyLine: 5, sha256: 'x' };
}

function checker(t: Template, header: string[]) {
  const c = compileRowChecks(t, bindColumns(t, header));
  if (!c) throw new Error('no checker');
  return c;
}

const rules = (fs: Finding[]) => fs.map((f) => f.rule).sort();

describe('content rules on the values a row brings', () => {
  const t = template('Te damos la bienvenida al grupo {{Grupo}}, {{nombre}}. Responde BAJA para no recibir más.');
  const c = checker(t, ['telefono', 'nombre', 'Grupo']);

  it('a banned term or an impersonation in a value is an error naming the column; a clean row has none', () => {
    const bad = c.check({ nombre: 'Ana', Grupo: 'Packs de menores' }, '');
    expect(rules(bad.findings)).toEqual(['banned-term']);
    expect(bad.findings[0]).toMatchObject({ severity: 'error', column: 'Grupo' });
    expect(bad.findings[0].message).toContain('column "Grupo"');
    expect(rules(c.check({ nombre: 'Soporte de WhatsApp', Grupo: 'Vecinos' }, '').findings)).toEqual(['impersonation']);
    expect(c.check({ nombre: 'Ana', Grupo: 'Vecinos de Lavapiés' }, '').findings).toEqual([]);
  });

  it('a high-risk phrase in a value is a warning', () => {
    const f = c.check({ nombre: 'Ana', Grupo: 'Apuestas deportivas' }, '').findings;
    expect(f).toMatchObject([{ rule: 'high-risk-term', severity: 'warning', column: 'Grupo' }]);
  });

  it('a template with nothing from the data has no row checks', () => {
    const fixed = template('Hola a todos.');
    expect(compileRowChecks(fixed, bindColumns(fixed, ['telefono']))).toBeNull();
  });
});

describe('links the data builds, row by row', () => {
  const linkMeta = meta({ links: [{ url: '{{enlace}}', kind: 'video' }] });
  const t = template('Hola {{nombre}}, mira tu vídeo personalizado: {{enlace}}', linkMeta);
  const c = checker(t, ['telefono', 'nombre', 'enlace']);
  const row = (enlace: string) => {
    const record = { nombre: 'Ana', enlace };
    return c.check(record, `Hola Ana, mira tu vídeo personalizado: ${enlace}`);
  };

  it('a shortener, a raw IP over http and a page that is not a video are errors on the column', () => {
    expect(rules(row('https://bit.ly/3xYz').findings)).toContain('link-shortener');
    const ip = rules(row('http://192.168.1.5/pago').findings);
    expect(ip).toEqual(expect.arrayContaining(['link-insecure', 'link-ip-host']));
    const page = row('https://partido.es/pagina').findings;
    expect(page.map((f) => f.rule)).toContain('link-kind-mismatch');
    expect(page.every((f) => f.column === 'enlace' && f.severity === 'error')).toBe(true);
  });

  it('a real video link passes and is handed to the online check with its kind', () => {
    const ok = row('https://www.youtube.com/watch?v=abc123');
    expect(ok.findings).toEqual([]);
    expect(ok.links).toEqual([{ url: 'https://www.youtube.com/watch?v=abc123', column: 'enlace', kind: 'video' }]);
  });

  it('a link only the data brings, where the front matter declares none, is link-undeclared', () => {
    const plain = template('Hola {{nombre}}, te esperamos en {{lugar}}.');
    const pc = checker(plain, ['telefono', 'nombre', 'lugar']);
    const f = pc.check({ nombre: 'Ana', lugar: 'https://partido.es/mitin' }, 'Hola Ana, te esperamos en https://partido.es/mitin.').findings;
    expect(f).toMatchObject([{ rule: 'link-undeclared', severity: 'error', column: 'lugar' }]);
  });

  it('a template link completed from a column is checked as rendered; its static links are not reported again', () => {
    const m = meta({ links: [{ url: 'https://partido.es/e/{{ciudad}}', kind: 'page' }, { url: 'http://partido.es/fijo', kind: 'page' }] });
    const tt = template('Tu acto: https://partido.es/e/{{ciudad}} y http://partido.es/fijo', m);
    const cc = checker(tt, ['telefono', 'ciudad']);
    const render = (ciudad: string) => cc.check({ ciudad }, `Tu acto: https://partido.es/e/${ciudad} y http://partido.es/fijo`);
    expect(render('madrid').findings).toEqual([]);
    // A value that slips a second link in after the address.
    const slipped = render('madrid https://bit.ly/x').findings;
    expect(rules(slipped)).toEqual(['link-shortener', 'link-undeclared']);
    expect(slipped.every((f) => f.column === 'ciudad' && f.value === 'https://bit.ly/x')).toBe(true);
    expect(render('madrid').links).toEqual([{ url: 'https://partido.es/e/madrid', column: 'ciudad', kind: 'page' }]);
  });

  it('a header URL built from a column is checked against the header kind', () => {
    const m = meta({ header: { kind: 'video', url: 'https://cdn.partido.es/{{clip}}' } });
    const tt = template('Hola {{nombre}}', m);
    const cc = checker(tt, ['telefono', 'nombre', 'clip']);
    expect(cc.check({ nombre: 'Ana', clip: 'acto.mp4' }, 'Hola Ana').findings).toEqual([]);
    const f = cc.check({ nombre: 'Ana', clip: 'cartel.jpg' }, 'Hola Ana').findings;
    expect(f).toMatchObject([{ rule: 'link-kind-mismatch', severity: 'error', column: 'clip' }]);
  });

  it('each distinct value is scanned once (cached), so repeated values cost nothing', () => {
    const big = template('Hola {{nombre}} de {{Grupo}}');
    const bc = checker(big, ['telefono', 'nombre', 'Grupo']);
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) bc.check({ nombre: `Ana${i % 50}`, Grupo: 'Vecinos' }, '');
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('lint: a row whose values trip an error rule is kept out, the others are sent', () => {
  it('counts the bad rows as missing_variable with their line and column, and exits with errors', async () => {
    const tpl = file('welcome.md', [
      '---', 'template: welcome', 'language: es', 'category: marketing', 'params: [nombre, Grupo]', '---',
      'Hola {{nombre}}, te damos la bienvenida al grupo {{Grupo}}. Responde BAJA para no recibir más.', '',
    ].join('\n'));
    const csv = file('c.csv', [
      'telefono,nombre,Grupo,consent',
      '+34600000001,Ana,Vecinos,yes',
      '+34600000002,Luis,Pornografía infantil,yes',
      '+34600000003,Eva,Vecinos,yes',
      '+34600000004,Soporte de WhatsApp,Vecinos,yes',
      '',
    ].join('\n'));
    const findings: Finding[] = [];
    const result = await lint({ contactsPath: csv, options: mergeOptions({}, { template: tpl, defaultCountry: 'ES' }), cwd: dir, onFinding: (f) => findings.push(f) });
    expect(result.contacts.sendable).toBe(2);
    expect(result.contacts.missing_variable).toBe(2);
    expect(result.errors).toBeGreaterThanOrEqual(2);
    expect(findings.filter((f) => f.line !== undefined && f.rule !== 'consent-yes')).toMatchObject([
      { rule: 'banned-term', line: 3, column: 'Grupo', severity: 'error' },
      { rule: 'impersonation', line: 5, column: 'nombre', severity: 'error' },
    ]);
  });
});
