import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { lintTemplate } from '../../../src/core/lint/template-rules.js';
import { parseTemplate } from '../../../src/core/template/parse.js';
import { bindColumns, missingValues, templateColumns } from '../../../src/core/template/render.js';

const fm = (keys: string, body = 'Hola {{nombre}}') => `---\ntemplate: t1\nlanguage: es\ncategory: marketing\n${keys}\n---\n${body}`;

function errorOf(text: string, file = 'msg.md'): InputError {
  try {
    parseTemplate(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

describe('front matter: header, footer, buttons, purpose (issue 10)', () => {
  it('reads a media header from a url, a footer, buttons and purpose', () => {
    const t = parseTemplate(
      fm('header:\n  kind: video\n  url: https://partido.es/acto.mp4\nfooter: Responde BAJA\nbuttons:\n  - type: quick_reply\n    text: No me interesa\n    optout: true\n  - type: url\n    param: ref\npurpose: electoral\nsender: Partido Ejemplo'),
      'msg.md',
    );
    expect(t.meta?.header).toEqual({ kind: 'video', url: 'https://partido.es/acto.mp4', line: 5 });
    expect(t.meta?.footer).toBe('Responde BAJA');
    expect(t.meta?.buttons).toEqual([{ type: 'quick_reply', text: 'No me interesa', optout: true }, { type: 'url', param: 'ref' }]);
    // The url buttons' param is the new spelling of button_params, which sending reads.
    expect(t.meta?.button_params).toEqual(['ref']);
    expect(t.meta?.purpose).toBe('electoral');
    expect(t.meta?.sender).toBe('Partido Ejemplo');
    expect(t.meta?.extra).toEqual({});
  });

  it('resolves a header file against the template folder, not the working directory', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tpl-'));
    mkdirSync(path.join(dir, 'media'));
    writeFileSync(path.join(dir, 'media', 'cartel.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
    const t = parseTemplate(fm('header:\n  kind: image\n  file: media/cartel.jpg'), path.join(dir, 'msg.md'));
    expect(t.meta?.header?.file).toBe(path.join(dir, 'media', 'cartel.jpg'));
    expect(path.isAbsolute(t.meta!.header!.file!)).toBe(true);
  });

  it('names the line of a missing header file', () => {
    const err = errorOf(fm('header:\n  kind: image\n  file: media/nada.jpg'), path.join(tmpdir(), 'x', 'msg.md'));
    expect(err.message).toContain('media/nada.jpg is not there');
    expect(err.line).toBe(7);
    expect(err.file).toContain('msg.md');
  });

  // [front matter, message part, line]
  const INVALID: [string, string, number][] = [
    ['header:\n  kind: movie\n  url: https://a.es/x.mp4', 'must be one of image, video, document, text', 6],
    ['header:\n  kind: video', 'exactly one of `url:`', 6],
    ['header:\n  kind: video\n  url: https://a.es/x.mp4\n  file: x.mp4', 'it has both', 8],
    ['header:\n  kind: video\n  url: https://a.es/x.mp4\n  colour: red', 'unknown key `colour`', 6],
    ['header:\n  kind: text', 'needs `text:`', 6],
    ['header:\n  kind: text\n  text: Hola\n  url: https://a.es/x.png', 'has no `url` or `file`', 8],
    ['header:\n  kind: image\n  url: https://a.es/x.png\n  filename: x.pdf', 'only `document` headers have a `filename`', 8],
    ['header:\n  kind: video\n  url: ftp://a.es/x.mp4', 'starting with https://', 7],
    ['header:\n  kind: text\n  text: "Acto en {{ }}"', 'The header `text` has an empty placeholder', 7],
    ['buttons:\n  - type: quick_reply', 'needs `text`', 6],
    ['buttons:\n  - type: call', 'type: quick_reply` or `type: url', 6],
    ['buttons:\n  - type: quick_reply\n    text: No\n    optout: sí', 'must be true or false', 8],
    ['buttons:\n  - type: url\n    param: ref\nbutton_params: [code]', 'disagree', 8],
    ['purpose: elections', 'can only be `electoral`', 5],
    ['footer: "Hola {{x}}"', 'fixed text', 5],
    ['links:\n  - url: "https://a.es/{{enlace"\n    kind: video', 'The link https://a.es/{{enlace has an unclosed placeholder', 6],
  ];
  it.each(INVALID)('refuses %j with the file and line', (keys, part, line) => {
    const err = errorOf(fm(keys));
    expect(err.message).toContain(part);
    expect(err.file).toBe('msg.md');
    expect(err.line).toBe(line);
  });

  it('keeps accepting button_params alone, and with url buttons that agree', () => {
    expect(parseTemplate(fm('button_params: [ref]'), 'm.md').meta?.button_params).toEqual(['ref']);
    const t = parseTemplate(fm('button_params: [ref]\nbuttons:\n  - type: quick_reply\n    text: No\n  - type: url\n    param: ref'), 'm.md');
    expect(t.meta?.button_params).toEqual(['ref']);
  });

  it('accepts links whose address comes from a column', () => {
    const t = parseTemplate(fm('links:\n  - url: "{{enlace}}"\n    kind: video\n  - url: https://partido.es/e/{{ciudad}}\n    kind: page', 'Mira {{enlace}} y https://partido.es/e/{{ciudad}}'), 'm.md');
    expect(t.meta?.links.map((l) => l.url)).toEqual(['{{enlace}}', 'https://partido.es/e/{{ciudad}}']);
  });
});

describe('columns read outside the body', () => {
  const t = parseTemplate(
    fm('header:\n  kind: text\n  text: "Acto en {{ciudad}}"\nbuttons:\n  - type: url\n    param: ref\nlinks:\n  - url: https://partido.es/e/{{slug}}\n    kind: page', 'Hola {{nombre}}: https://partido.es/e/{{slug}}'),
    'm.md',
  );

  it('counts header text, url-button params and column links as template variables', () => {
    expect(templateColumns(t)).toEqual(['nombre', 'slug', 'ref', 'ciudad']);
    const video = parseTemplate(fm('header:\n  kind: video\n  url: "{{video}}"'), 'm.md');
    expect(templateColumns(video)).toEqual(['nombre', 'video']);
  });

  it('a row with one of them empty is missing a variable; a header without the column is unknown-placeholder', () => {
    expect(missingValues(t, { nombre: 'Ana', ref: 'x', ciudad: '', slug: 'a' })).toEqual(['ciudad']);
    expect(missingValues(t, { nombre: 'Ana', ref: 'x', ciudad: 'Vigo', slug: 'a' })).toEqual([]);
    expect(bindColumns(t, ['phone', 'nombre', 'ref', 'slug']).missing).toEqual(['ciudad']);
    const f = lintTemplate(t, ['phone', 'nombre', 'ref', 'slug']).find((x) => x.rule === 'unknown-placeholder');
    expect(f?.message).toContain('header text {{ciudad}}');
  });
});

describe('unknown front matter keys', () => {
  it('warns naming any key the tool does not read, with a suggestion when one is close', () => {
    const t = parseTemplate(fm('colour: red\nfooterr: Responde BAJA'), 'm.md');
    const f = lintTemplate(t, ['nombre']).filter((x) => x.rule === 'unknown-front-matter-key');
    expect(f.map((x) => x.value)).toEqual(['colour', 'footerr']);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toContain('`colour`');
    expect(f[1].message).toContain('did you mean `footer`');
  });
});
