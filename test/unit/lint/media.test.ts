import { mkdtempSync, writeFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintHeader, MEDIA_RULES, sniffMedia } from '../../../src/core/lint/media.js';
import { lintIdentity } from '../../../src/core/lint/template-rules.js';
import { parseTemplate } from '../../../src/core/template/parse.js';

const dir = mkdtempSync(path.join(tmpdir(), 'media-'));
// Real magic numbers: what the first bytes of each format are.
const BYTES = {
  jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]),
  png: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]),
  mp4: Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypisom\0\0\u0002\0isomiso2avc1mp41', 'latin1')]),
  gpp: Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftyp3gp4\0\0\0\0isom3gp4', 'latin1')]),
  mov: Buffer.concat([Buffer.from([0, 0, 0, 0x14]), Buffer.from('ftypqt  \0\0\u0002\0qt  ', 'latin1')]),
  pdf: Buffer.from('%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n', 'latin1'),
  gif: Buffer.from('GIF89a\u0001\0\u0001\0', 'latin1'),
  text: Buffer.from('hola, esto no es un vídeo\n'),
};
function file(name: string, bytes: Buffer, size?: number): string {
  const f = path.join(dir, name);
  writeFileSync(f, bytes);
  if (size) truncateSync(f, size); // a sparse file: the size without writing megabytes
  return name;
}
const tpl = (header: string, body = 'Hola {{nombre}}, te esperamos el sábado.') =>
  parseTemplate(`---\ntemplate: t1\nlanguage: es\ncategory: marketing\nheader:\n${header}\n---\n${body}`, path.join(dir, 'msg.md'));
const rules = (header: string, body?: string) => lintHeader(tpl(header, body)).map((f) => f.rule);

describe('sniffMedia', () => {
  it.each([
    ['jpeg', 'image/jpeg'], ['png', 'image/png'], ['mp4', 'video/mp4'], ['gpp', 'video/3gpp'], ['mov', 'video/quicktime'], ['pdf', 'application/pdf'], ['gif', 'image/gif'],
  ] as const)('%s bytes are %s', (k, mime) => expect(sniffMedia(BYTES[k])?.mime).toBe(mime));
  it('says nothing of text', () => expect(sniffMedia(BYTES.text)).toBeNull());
});

describe('lintHeader', () => {
  // [rule, fires?, header front matter]
  const CASES: [string, boolean, string][] = [
    ['header-kind-mismatch', true, `  kind: video\n  file: ${file('acto.mp4', BYTES.jpeg)}`], // named .mp4, really a JPEG
    ['header-kind-mismatch', false, `  kind: video\n  file: ${file('acto-ok.mp4', BYTES.mp4)}`],
    ['header-kind-mismatch', false, `  kind: image\n  file: ${file('cartel.bin', BYTES.png)}`], // the bytes count, not the name
    ['header-kind-mismatch', true, `  kind: image\n  file: ${file('programa.jpg', BYTES.pdf)}`],
    ['header-kind-mismatch', false, `  kind: document\n  file: ${file('programa.pdf', BYTES.pdf)}\n  filename: programa.pdf`],
    ['header-kind-mismatch', false, `  kind: video\n  file: ${file('acto.3gp', BYTES.gpp)}`],
    ['header-kind-mismatch', true, '  kind: image\n  url: https://partido.es/acto.mp4'],
    ['header-kind-mismatch', false, '  kind: video\n  url: https://partido.es/media/acto.mp4?v=2'],
    ['header-kind-mismatch', true, '  kind: video\n  url: https://www.youtube.com/watch?v=abc'], // a page, not the file
    ['header-media-type', true, `  kind: video\n  file: ${file('acto.mov', BYTES.mov)}`],
    ['header-media-type', true, `  kind: image\n  file: ${file('cartel.gif', BYTES.gif)}`],
    ['header-media-type', true, `  kind: image\n  file: ${file('cartel.jpg', BYTES.text)}`],
    ['header-media-type', true, '  kind: video\n  url: https://partido.es/acto.webm'],
    ['header-media-type', false, '  kind: image\n  url: https://partido.es/cartel.PNG'],
    ['header-too-large', true, `  kind: video\n  file: ${file('largo.mp4', BYTES.mp4, 40 * 1024 * 1024)}`],
    ['header-too-large', false, `  kind: video\n  file: ${file('corto.mp4', BYTES.mp4, 15 * 1024 * 1024)}`],
    ['header-too-large', true, `  kind: image\n  file: ${file('grande.jpg', BYTES.jpeg, 6 * 1024 * 1024)}`],
    ['header-too-large', false, `  kind: document\n  file: ${file('gordo.pdf', BYTES.pdf, 60 * 1024 * 1024)}`],
    ['header-url-unverified', true, '  kind: video\n  url: https://partido.es/media/acto'],
    ['header-url-unverified', false, '  kind: video\n  url: "{{video}}"'],
    ['header-url-unverified', false, '  kind: video\n  url: https://partido.es/v/{{video}}'],
    ['link-insecure', true, '  kind: video\n  url: http://partido.es/acto.mp4'],
    ['link-insecure', false, '  kind: video\n  url: https://partido.es/acto.mp4'],
    ['link-shortener', true, '  kind: image\n  url: https://bit.ly/cartel.jpg'],
    ['link-ip-host', true, '  kind: image\n  url: https://192.168.1.5/cartel.jpg'],
    ['link-credentials', true, '  kind: image\n  url: https://partido.es@malo.com/cartel.jpg'],
    ['link-lookalike', true, '  kind: video\n  url: https://youtube-com.xn--80ak6aa92e.com/a.mp4'],
    ['link-lookalike', false, '  kind: video\n  url: https://partido.es/a.mp4'],
  ];
  it.each(CASES)('%s fires=%s for %j', (rule, fires, header) => {
    expect(rules(header).includes(rule)).toBe(fires);
  });

  it('says the Cloud API limit and the file name', () => {
    const [f] = lintHeader(tpl(`  kind: video\n  file: ${file('grande.mp4', BYTES.mp4, 20 * 1024 * 1024)}`)).filter((x) => x.rule === 'header-too-large');
    expect(f.message).toContain("the Cloud API's limit for a video header is 16 MB");
    expect(f.message).toContain('grande.mp4 is 20.0 MB');
    expect(f.message).toContain('msg.md line 5');
    expect(f.severity).toBe('error');
  });

  it('text that promises something else than the header is link-text-mismatch', () => {
    const video = `  kind: video\n  url: https://partido.es/acto.mp4`;
    expect(rules(video, 'Hola {{nombre}}, descarga el programa y ven al acto.')).toContain('link-text-mismatch');
    expect(rules(video, 'Hola {{nombre}}, mira el vídeo del acto.')).not.toContain('link-text-mismatch');
    const image = `  kind: image\n  file: ${file('cartel2.jpg', BYTES.jpeg)}`;
    expect(rules(image, 'Hola {{nombre}}, mira el vídeo del acto.')).toContain('link-text-mismatch');
    // A promise next to its own link is that link's: the header is not what it speaks of.
    expect(rules(image, 'Hola {{nombre}}, mira el vídeo: https://www.youtube.com/watch?v=abc')).not.toContain('link-text-mismatch');
    expect(rules(`  kind: document\n  url: https://partido.es/programa.pdf`, 'Hola {{nombre}}, descarga el programa.')).not.toContain('link-text-mismatch');
  });

  it('has every rule it emits in its catalogue', () => {
    expect(MEDIA_RULES.map((r) => r.id)).toEqual(['header-kind-mismatch', 'header-media-type', 'header-too-large', 'header-url-unverified']);
  });
});

describe('optout-missing and sender-missing', () => {
  const t = (front: string, body: string) => parseTemplate(`---\ntemplate: t1\nlanguage: es\ncategory: marketing\n${front}\n---\n${body}`, 'msg.md');
  const found = (front: string, body: string) => lintIdentity(t(front, body)).map((f) => `${f.rule}:${f.severity}`);
  // [rule, fires?, front matter, body]
  const CASES: [string, boolean, string, string][] = [
    ['optout-missing', true, 'params: []', 'Hola {{n}}, ven al acto.'],
    ['optout-missing', false, 'params: []', 'Hola {{n}}, ven al acto. Responde BAJA para no recibir más.'],
    ['optout-missing', false, 'params: []', 'Hi {{n}}! Reply STOP to opt out.'],
    ['optout-missing', false, 'params: []', 'Olá {{n}}! Responda SAIR para não receber mais mensagens.'],
    ['optout-missing', false, 'footer: Si no quieres recibir más mensajes, escríbenos', 'Hola {{n}}.'],
    ['optout-missing', false, 'buttons:\n  - type: quick_reply\n    text: No me interesa\n    optout: true', 'Hola {{n}}.'],
    ['optout-missing', true, 'buttons:\n  - type: quick_reply\n    text: Me apunto', 'Hola {{n}}.'],
    ['optout-missing', true, 'params: []', 'Hola {{n}}, la baja participación nos preocupa.'],
    ['sender-missing', true, 'params: []', 'Hola {{n}}, ven al acto.'],
    ['sender-missing', false, 'params: []', 'Hola {{n}}, te escribimos desde Vecinos por Vigo.'],
    ['sender-missing', false, 'params: []', 'Hola {{n}}, ven al acto.\n— Partido Ejemplo'],
    ['sender-missing', false, 'params: []', 'Hola {{n}}, ven al acto.\nUn saludo,\nAna Pérez'],
    ['sender-missing', false, 'sender: Partido Ejemplo\nfooter: Partido Ejemplo · Responde BAJA', 'Hola {{n}}.'],
    ['sender-missing', true, 'sender: Partido Ejemplo', 'Hola {{n}}, somos tus vecinos.'], // declared, but the text never names it
    ['sender-missing', false, 'header:\n  kind: text\n  text: Partido Ejemplo en {{ciudad}}\nsender: Partido Ejemplo', 'Hola {{n}}.'],
  ];
  it.each(CASES)('%s fires=%s (%j / %j)', (rule, fires, front, body) => {
    expect(found(front, body).some((f) => f.startsWith(`${rule}:`))).toBe(fires);
  });

  it('are warnings, errors for electoral propaganda, and nothing for utility messages', () => {
    expect(found('params: []', 'Hola {{n}}.')).toEqual(['optout-missing:warning', 'sender-missing:warning']);
    expect(found('purpose: electoral', 'Hola {{n}}.')).toEqual(['optout-missing:error', 'sender-missing:error']);
    expect(lintIdentity(parseTemplate('---\ntemplate: t1\nlanguage: es\ncategory: utility\n---\nTu cita es mañana, {{n}}.', 'u.md'))).toEqual([]);
    // A plain text message (no front matter) is checked like marketing.
    expect(lintIdentity(parseTemplate('Hola {{n}}, ven al acto.', 'p.md')).map((f) => f.rule)).toEqual(['optout-missing', 'sender-missing']);
  });
});
