import { describe, expect, it } from 'vitest';
import { lintLinks } from '../../../src/core/lint/link-rules.js';
import { extractLinks } from '../../../src/core/lint/extract-links.js';
import { parseTemplate } from '../../../src/core/template/parse.js';

/** A template whose declared links are `kind url` pairs. */
function tpl(links: string[], body: string) {
  const decl = links.map((l) => {
    const [kind, url] = l.split(' ');
    return `  - url: ${url}\n    kind: ${kind}`;
  });
  return parseTemplate(`---\ntemplate: t1\nlanguage: es\ncategory: marketing\nlinks:\n${decl.join('\n') || '  []'}\n---\n${body}`, 'msg.md');
}
const rulesOf = (links: string[], body: string) => lintLinks(tpl(links, body)).map((f) => f.rule);

const YT = 'https://www.youtube.com/watch?v=abc123';

// [rule, declared links, body]: the rule must fire.
const FIRES: [string, string[], string][] = [
  ['link-shortener', ['page https://bit.ly/3xY'], 'Info: https://bit.ly/3xY'],
  ['link-shortener', ['page https://www.tinyurl.com/ab'], 'Info: https://www.tinyurl.com/ab'],
  ['link-shortener', ['page https://acortar.link/ab'], 'Info: https://acortar.link/ab'],
  ['link-ip-host', ['page https://192.168.1.10/x'], 'Info: https://192.168.1.10/x'],
  ['link-ip-host', ['page https://[2001:db8::1]/x'], 'Info: https://[2001:db8::1]/x'],
  ['link-insecure', ['page http://partido.es/x'], 'Info: http://partido.es/x'],
  ['link-credentials', ['page https://youtube.com@evil.example/x'], 'Info: https://youtube.com@evil.example/x'],
  ['link-lookalike', ['video https://youtube-video.com/v'], 'Mira el vídeo: https://youtube-video.com/v'],
  ['link-lookalike', ['video https://y0utube.com/watch'], 'Mira el vídeo: https://y0utube.com/watch'],
  ['link-lookalike', ['page https://whatsapp-support.net/a'], 'Info: https://whatsapp-support.net/a'],
  ['link-lookalike', ['page https://faceb00k.com/a'], 'Info: https://faceb00k.com/a'],
  ['link-lookalike', ['page https://paypal.secure-login.com/a'], 'Info: https://paypal.secure-login.com/a'],
  ['link-lookalike', ['page https://youtub.com/a'], 'Info: https://youtub.com/a'],
  ['link-lookalike', ['page https://xn--80ak6aa92e.com/a'], 'Info: https://xn--80ak6aa92e.com/a'],
  ['link-lookalike', ['page https://pаypal.com/a'], 'Info: https://pаypal.com/a'],
  ['link-lookalike', ['page https://agenciatributaria-gob-es.com/a'], 'Info: https://agenciatributaria-gob-es.com/a'],
  ['link-lookalike', ['page https://sede.gob.es.verifica.net/a'], 'Info: https://sede.gob.es.verifica.net/a'],
  ['link-domain-mismatch', ['page https://otro.com/p'], 'Más información en partido.es: https://otro.com/p'],
  ['link-domain-mismatch', [`video https://vimeo.com/1`], 'Visita youtube.com para ver https://vimeo.com/1'],
  ['link-undeclared', [], 'Info: https://partido.es/a'],
  ['link-undeclared', ['page https://partido.es/a'], 'Info: https://partido.es/a y www.partido.es/b'],
  ['link-undeclared', [], 'Info: partido.es/programa'],
  ['link-declared-absent', ['page https://partido.es/a'], 'Sin enlaces {{x}}'],
  ['link-kind-mismatch', ['video https://partido.es/acto'], 'Acto: https://partido.es/acto'],
  ['link-kind-mismatch', ['pdf https://partido.es/programa'], 'Programa: https://partido.es/programa'],
  ['link-kind-mismatch', ['image https://partido.es/cartel'], 'Cartel: https://partido.es/cartel'],
  ['link-kind-mismatch', ['audio https://partido.es/podcast'], 'Escucha: https://partido.es/podcast'],
  ['link-kind-mismatch', ['form https://evil.example/x'], 'Aquí: https://evil.example/x'],
  ['link-kind-mismatch', ['page https://partido.es/programa.pdf'], 'Aquí: https://partido.es/programa.pdf'],
  ['link-text-mismatch', ['page https://partido.es/dona'], 'Mira el vídeo del mitin: https://partido.es/dona'],
  ['link-text-mismatch', ['video https://partido.es/dona'], 'Watch the video: https://partido.es/dona'],
  ['link-text-mismatch', ['page https://www.youtube.com/watch?v=1'], 'Mira el vídeo: https://www.youtube.com/watch?v=1'],
  ['link-text-mismatch', ['page https://partido.es/programa'], 'Descarga el programa en PDF: https://partido.es/programa'],
  ['link-text-mismatch', ['page https://partido.es/programa'], 'Descarga el programa: https://partido.es/programa'],
  ['link-text-mismatch', ['page https://partido.es/noticias'], 'Inscríbete: https://partido.es/noticias'],
  ['link-text-mismatch', ['page https://partido.es/noticias'], 'Haz tu donación: https://partido.es/noticias'],
  ['link-text-mismatch', ['video https://www.youtube.com/watch?v=1'], 'Assista ao vídeo:\nhttps://www.youtube.com/watch?v=1\nDoação: https://www.youtube.com/watch?v=1'],
  ['link-text-mismatch', [], 'Vídeo del acto:\nhttps://partido.es/acto'],
];

// [rule, declared links, body]: the rule must stay quiet.
const QUIET: [string, string[], string][] = [
  ['link-shortener', ['video https://youtu.be/abc'], 'Mira el vídeo: https://youtu.be/abc'],
  ['link-shortener', ['form https://forms.gle/abc'], 'Inscríbete: https://forms.gle/abc'],
  ['link-ip-host', ['page https://partido.es/x'], 'Info: https://partido.es/x'],
  ['link-insecure', ['page https://partido.es/x'], 'Info: https://partido.es/x'],
  ['link-credentials', ['page https://partido.es/@ana'], 'Info: https://partido.es/@ana'],
  ['link-lookalike', [`video ${YT}`], `Mira el vídeo: ${YT}`],
  ['link-lookalike', ['page https://www.google.com.mx/maps'], 'Mapa: https://www.google.com.mx/maps'],
  ['link-lookalike', ['page https://sede.agenciatributaria.gob.es/x'], 'Info: https://sede.agenciatributaria.gob.es/x'],
  ['link-lookalike', ['page https://www.españa.es/x'], 'Info: https://www.españa.es/x'],
  ['link-lookalike', ['page https://wa.me/34600000000'], 'Escríbenos: https://wa.me/34600000000'],
  ['link-domain-mismatch', ['page https://partido.es/p'], 'Más información en partido.es: https://partido.es/p'],
  ['link-domain-mismatch', [`video https://youtu.be/x`], 'Visita youtube.com: https://youtu.be/x'],
  ['link-domain-mismatch', [`video ${YT}`], `Síguenos en partido.es y mira el vídeo ${YT}`],
  ['link-domain-mismatch', [`video ${YT}`], `Escríbenos a info@partido.es. Vídeo: ${YT}`],
  ['link-undeclared', ['page https://partido.es/a/'], 'Info: https://partido.es/a.'],
  ['link-undeclared', ['page https://www.partido.es/b'], 'Info: www.partido.es/b'],
  ['link-undeclared', ['page https://partido.es/r/{{code}}'], 'Tu enlace: https://partido.es/r/{{ code }}'],
  ['link-declared-absent', ['page https://partido.es/a'], 'Info (*https://partido.es/a*)'],
  ['link-kind-mismatch', [`video ${YT}`], `Vídeo: ${YT}`],
  ['link-kind-mismatch', ['video https://partido.es/acto.mp4'], 'Vídeo: https://partido.es/acto.mp4'],
  ['link-kind-mismatch', ['video https://www.facebook.com/partido/videos/123'], 'Vídeo: https://www.facebook.com/partido/videos/123'],
  ['link-kind-mismatch', ['pdf https://partido.es/Programa.PDF?v=2'], 'Programa: https://partido.es/Programa.PDF?v=2'],
  ['link-kind-mismatch', ['image https://partido.es/cartel.jpg'], 'Cartel: https://partido.es/cartel.jpg'],
  ['link-kind-mismatch', ['audio https://partido.es/cuña.mp3'], 'Escucha: https://partido.es/cuña.mp3'],
  ['link-kind-mismatch', ['form https://docs.google.com/forms/d/e/1/viewform'], 'Aquí: https://docs.google.com/forms/d/e/1/viewform'],
  ['link-kind-mismatch', ['form https://partido.es/inscripcion'], 'Aquí: https://partido.es/inscripcion'],
  ['link-kind-mismatch', ['form https://partido.es/participa', 'pdf https://partido.es/p.pdf'], 'Aquí: https://partido.es/participa y https://partido.es/p.pdf'],
  ['link-kind-mismatch', ['page https://partido.es/'], 'Web: https://partido.es/'],
  ['link-text-mismatch', [`video ${YT}`], `Mira el vídeo: ${YT}`],
  ['link-text-mismatch', ['pdf https://partido.es/programa.pdf'], 'Descarga el programa: https://partido.es/programa.pdf'],
  ['link-text-mismatch', ['page https://partido.es/propuestas'], 'Lee nuestras propuestas: https://partido.es/propuestas'],
  ['link-text-mismatch', ['page https://partido.es/dona'], 'Dona aquí: https://partido.es/dona'],
  ['link-text-mismatch', ['form https://forms.gle/abc'], 'Inscríbete en el formulario: https://forms.gle/abc'],
  ['link-text-mismatch', ['page https://play.google.com/store/apps/details?id=x'], 'Descarga la app: https://play.google.com/store/apps/details?id=x'],
  ['link-text-mismatch', [`video ${YT}`, 'page https://partido.es/dona'], `Mira el vídeo: ${YT}\nY dona aquí: https://partido.es/dona`],
  ['link-text-mismatch', [`video ${YT}`, 'pdf https://partido.es/p.pdf'], `Vídeo del acto:\n${YT}\nPrograma en PDF:\nhttps://partido.es/p.pdf`],
];

describe('link rules', () => {
  it.each(FIRES)('%s fires: %j %j', (rule, links, body) => {
    expect(rulesOf(links, body)).toContain(rule);
  });
  it.each(QUIET)('%s stays quiet: %j %j', (rule, links, body) => {
    expect(rulesOf(links, body)).not.toContain(rule);
  });

  it('raises nothing on the clean canonical template', () => {
    expect(lintLinks(tpl([`video ${YT}`, 'pdf https://partido.es/programa.pdf', 'page https://partido.es/propuestas'],
      `Hola {{n}}, mira el vídeo: ${YT}\nDescarga el programa: https://partido.es/programa.pdf\nPropuestas: https://partido.es/propuestas`))).toEqual([]);
  });

  it('names file and line, and puts the URL in value', () => {
    const [f] = lintLinks(tpl(['page https://bit.ly/x'], 'Hola\n\nInfo: https://bit.ly/x'));
    expect(f).toMatchObject({ rule: 'link-shortener', severity: 'error', value: 'https://bit.ly/x' });
    expect(f.message.startsWith('msg.md line 11: ')).toBe(true);
    expect(f.line).toBeUndefined();
  });

  it('skips link-undeclared for a plain text message but keeps the other rules', () => {
    const rules = lintLinks(parseTemplate('Mira el vídeo: http://bit.ly/x', 'p.md')).map((f) => f.rule);
    expect(rules).not.toContain('link-undeclared');
    expect(rules).toEqual(expect.arrayContaining(['link-shortener', 'link-insecure', 'link-text-mismatch']));
  });
});

describe('extractLinks', () => {
  it.each([
    ['Mira https://x.es/a.', ['https://x.es/a']],
    ['(ver https://es.wikipedia.org/wiki/Foo_(bar)), y más', ['https://es.wikipedia.org/wiki/Foo_(bar)']],
    ['*https://x.es/a*!', ['https://x.es/a']],
    ['«https://x.es/a»', ['https://x.es/a']],
    ['web: www.partido.es/x, y partido.es/programa?', ['www.partido.es/x', 'partido.es/programa']],
    ['correo info@partido.es/x y versión 1.2/3', []],
    ['enlace https://x.es/r/{{ code }} ok', ['https://x.es/r/{{ code }}']],
    ['[partido.es](https://bit.ly/x)', ['https://bit.ly/x']],
  ])('%j', (body, expected) => {
    expect(extractLinks(body).map((l) => l.raw)).toEqual(expected);
  });
});
