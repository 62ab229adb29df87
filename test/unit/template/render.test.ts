import { describe, expect, it } from 'vitest';
import { parseTemplate } from '../../../src/core/template/parse.js';
import {
  bindColumns, buttonSuffixes, compileTemplate, missingValues, normaliseColumnName, renderBody, templateParams,
} from '../../../src/core/template/render.js';

const t = parseTemplate(
  '---\ntemplate: t1\nlanguage: es\ncategory: marketing\nparams: [first_name, Ciudad]\nbutton_params: [code]\n---\nHola {{ first_name }}, te esperamos en {{ciudad}}. {{first_name}}!',
  'm.md',
);

describe('render', () => {
  it('renders placeholders, repeated ones included', () => {
    expect(renderBody(t, { first_name: 'Ana', ciudad: 'Cádiz' })).toBe('Hola Ana, te esperamos en Cádiz. Ana!');
  });

  it('looks columns up case-, accent- and separator-insensitively', () => {
    expect(renderBody(t, { 'First Name': 'Luis', CIUDAD: 'León' })).toBe('Hola Luis, te esperamos en León. Luis!');
    expect(normaliseColumnName(' Teléfono Móvil ')).toBe('telefono_movil');
  });

  it('renders a missing column as empty and reports it', () => {
    expect(renderBody(t, { first_name: 'Ana' })).toBe('Hola Ana, te esperamos en . Ana!');
    expect(missingValues(t, { first_name: 'Ana', ciudad: ' ', code: 'x' })).toEqual(['ciudad', 'Ciudad']);
  });

  it('binds columns to the header or reports them missing', () => {
    const b = bindColumns(t, ['Phone', 'FIRST_NAME', 'Ciudad']);
    expect(Object.fromEntries(b.columns)).toEqual({ first_name: 'FIRST_NAME', ciudad: 'Ciudad', Ciudad: 'Ciudad' });
    expect(b.missing).toEqual(['code']);
    const fn = compileTemplate(t, b);
    expect(fn({ FIRST_NAME: 'Eva', Ciudad: 'Lima' })).toBe('Hola Eva, te esperamos en Lima. Eva!');
  });

  it('gives template params and button suffixes in order, cleaned for the provider', () => {
    const rec = { first_name: 'Ana\nMaría', ciudad: 'São  Paulo', code: 'a b/c' };
    expect(templateParams(t, rec)).toEqual(['Ana María', 'São  Paulo']);
    expect(buttonSuffixes(t, rec)).toEqual(['a%20b/c']);
    expect(templateParams(parseTemplate('Hola', 'p.md'), rec)).toEqual([]);
  });

  it('renders a body without placeholders as is', () => {
    expect(renderBody(parseTemplate('Hola a todos', 'p.md'), {})).toBe('Hola a todos');
  });

  it('renders a million rows quickly', () => {
    const fn = compileTemplate(t, bindColumns(t, ['first_name', 'ciudad']));
    const rec = { first_name: 'Ana', ciudad: 'Madrid' };
    const start = performance.now();
    let n = 0;
    for (let i = 0; i < 1_000_000; i++) n += fn(rec).length;
    expect(n).toBeGreaterThan(0);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
