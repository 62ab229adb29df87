import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatError, InputError } from '../../../src/core/errors.js';
import { parseTemplate, readTemplate } from '../../../src/core/template/parse.js';

const fixture = (name: string) => path.join('test/fixtures/templates', name);

async function inputError(p: Promise<unknown> | (() => unknown)): Promise<InputError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

describe('readTemplate', () => {
  it('parses front matter, body, placeholders and the body line', async () => {
    const t = await readTemplate(fixture('good-invite.md'));
    expect(t.meta).toMatchObject({ template: 'rally_invite', language: 'es', category: 'marketing', params: ['first_name', 'city'], extra: {} });
    expect(t.meta?.links).toEqual([
      { url: 'https://www.youtube.com/watch?v=abc123', kind: 'video' },
      { url: 'https://partido.es/programa.pdf', kind: 'pdf' },
    ]);
    expect(t.placeholders).toEqual(['first_name', 'city']);
    expect(t.bodyLine).toBe(13);
    expect(t.body.startsWith('Hola {{first_name}}')).toBe(true);
    expect(t.body.endsWith('programa.pdf')).toBe(true);
    expect(t.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('treats a file without front matter as a plain text message', async () => {
    const t = await readTemplate(fixture('plain-text.md'));
    expect(t.meta).toBeNull();
    expect(t.bodyLine).toBe(1);
    expect(t.placeholders).toEqual(['nombre']);
  });

  it.each([
    ['bad-category.md', 5, /`category` must be one of marketing, utility, authentication; found `marketng`/],
    ['bad-yaml.md', 5, /not valid YAML/],
    ['unclosed.md', 1, /never closed/],
    ['empty-body.md', 6, /no message text/],
  ])('%s fails naming file and line %i', async (name, line, message) => {
    const err = await inputError(readTemplate(fixture(name)));
    expect(err.file).toBe(fixture(name));
    expect(err.line).toBe(line);
    expect(err.message).toMatch(message);
    expect(err.hint).toBeTruthy();
    expect(err.exitCode).toBe(2);
    expect(formatError(err)).toContain(`${fixture(name)}:${line}: `);
  });

  it('reports a missing file and non-UTF-8 bytes', async () => {
    expect((await inputError(readTemplate(fixture('nope.md')))).message).toMatch(/not found/);
    const dir = await mkdtemp(path.join(tmpdir(), 'tpl-'));
    const file = path.join(dir, 'latin1.md');
    await writeFile(file, Buffer.from([0x48, 0x6f, 0x6c, 0x61, 0x20, 0xf1, 0x0a]));
    expect((await inputError(readTemplate(file))).message).toMatch(/UTF-8/);
  });
});

const fm = (lines: string, body = 'Hola {{a}}') => `---\ntemplate: t1\nlanguage: es\ncategory: utility\n${lines}\n---\n${body}`;

describe('parseTemplate front matter errors', () => {
  it.each([
    [fm('params: first_name'), 5, /`params` must be a list/],
    [fm('links:\n  - url: https://x.es\n    kind: vid'), 7, /`kind` must be one of video, pdf, page, form, image, audio; found `vid`/],
    [fm('links:\n  - url: www.x.es\n    kind: page'), 6, /must be a full address starting with https/],
    [fm('links:\n  - kind: page'), 6, /needs a `url`/],
    ['---\ntemplate: Rally-Invite\nlanguage: es\ncategory: utility\n---\nx', 2, /`template` must be the approved template's name/],
    ['---\ntemplate: t\nlanguage: es-ES\ncategory: utility\n---\nx', 3, /language code like es, es_ES/],
    ['---\nlanguage: es\ncategory: utility\n---\nx', 2, /`template` is missing/],
    ['---\n- a\n- b\n---\nx', 1, /must be a map/],
    ['---\ntemplate: t\ntemplate: u\n---\nx', 3, /not valid YAML/],
    [fm('', 'Hola {{ }}'), 7, /empty placeholder/],
    [fm('', 'uno\nHola {{name'), 8, /unclosed placeholder/],
  ])('front matter case %#', (text, line, message) => {
    try {
      parseTemplate(text, 'samples/message.md');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).message).toMatch(message);
      expect((err as InputError).line).toBe(line);
      expect((err as InputError).file).toBe('samples/message.md');
    }
  });
});

describe('parseTemplate body', () => {
  it('keeps unknown keys in extra and reads optional keys', () => {
    const t = parseTemplate(fm('content_sid: HX123\nbutton_params: [code]\nheader_image: https://x.es/a.png'), 'm.md');
    expect(t.meta?.content_sid).toBe('HX123');
    expect(t.meta?.button_params).toEqual(['code']);
    expect(t.meta?.extra).toEqual({ header_image: 'https://x.es/a.png' });
  });

  it('extracts placeholders with spaces, in order of first use, and trims blank lines', () => {
    const t = parseTemplate('\r\n\r\n  Hola {{ first_name }} de {{city}}, {{first_name}}!\r\n\r\n', 'm.md');
    expect(t.placeholders).toEqual(['first_name', 'city']);
    expect(t.bodyLine).toBe(3);
    expect(t.body).toBe('  Hola {{ first_name }} de {{city}}, {{first_name}}!');
  });

  it('uses the given sha256 and strips a BOM', () => {
    const t = parseTemplate('\uFEFFHola', 'm.md', 'abc');
    expect(t.sha256).toBe('abc');
    expect(t.body).toBe('Hola');
  });
});

describe('hostile templates', () => {
  it('a YAML alias bomb in the front matter is bad input naming the template, not a crash', async () => {
    const bomb = ['---', 'template: t', 'language: es', 'category: utility', 'a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
      const prev = String.fromCharCode(97 + i);
      bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const err = await inputError(() => parseTemplate([...bomb, '---', 'Hola.'].join('\n'), 'bomb.md'));
    expect(err.message).toMatch(/too many YAML aliases/);
    expect(formatError(err)).toContain('bomb.md');
  });

  it('a file far larger than any template is refused before it is read', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tpl-'));
    const file = path.join(dir, 'huge.md');
    await writeFile(file, `---\ntemplate: t\nlanguage: es\ncategory: utility\n---\n${'Hola. '.repeat(100_000)}`);
    const err = await inputError(readTemplate(file));
    expect(err.message).toMatch(/KiB; a template is a short message/);
  });
});
