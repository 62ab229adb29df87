import { describe, expect, it } from 'vitest';
import { LINK_RULES } from '../../../src/core/lint/link-rules.js';
import { checkRenderedLength, lintTemplate, TEMPLATE_RULES } from '../../../src/core/lint/template-rules.js';
import { readTemplate, parseTemplate } from '../../../src/core/template/parse.js';

const HEADER = ['phone', 'consent', 'First Name', 'city', 'code'];
const withMeta = (body: string, extra = 'params: [first_name]') =>
  parseTemplate(`---\ntemplate: t1\nlanguage: es\ncategory: marketing\n${extra}\n---\n${body}`, 'msg.md');
const rulesOf = (text: string | ReturnType<typeof parseTemplate>) =>
  lintTemplate(typeof text === 'string' ? withMeta(text) : text, HEADER).map((f) => f.rule);

// [rule, fires?, template]
const CASES: [string, boolean, ReturnType<typeof parseTemplate>][] = [
  ['unknown-placeholder', true, withMeta('Hola {{nombre}}')],
  ['unknown-placeholder', true, withMeta('Hola {{first_name}}', 'params: [first_name, ciudad]')],
  ['unknown-placeholder', true, withMeta('Hola {{first_name}}', 'button_params: [codigo]')],
  ['unknown-placeholder', false, withMeta('Hola {{ first_name }} de {{City}}', 'params: [first_name, city]\nbutton_params: [code]')],
  ['body-too-long', true, withMeta(`Hola {{first_name}} ${'a'.repeat(1010)}`)],
  ['body-too-long', false, withMeta(`Hola {{first_name}} ${'a'.repeat(990)}`)],
  ['body-too-long', true, parseTemplate(`Hola {{city}} ${'a'.repeat(4090)}`, 'p.md')],
  ['body-too-long', false, parseTemplate(`Hola {{city}} ${'a'.repeat(2000)}`, 'p.md')],
  ['banned-term', true, withMeta('Hola {{first_name}}, grupo P0rno Infantil')],
  ['banned-term', false, withMeta('Hola {{first_name}}, oficina en CP 28001')],
  ['high-risk-term', true, withMeta('Hola {{first_name}}, te pagamos por tu voto')],
  ['high-risk-term', false, withMeta('Hola {{first_name}}, vota el domingo')],
  ['impersonation', true, withMeta('Hola {{first_name}}, el equipo de WhatsApp te informa')],
  ['impersonation', false, withMeta('Hola {{first_name}}, escríbenos por WhatsApp')],
  ['identical-message', true, withMeta('Hola a todos', 'params: []')],
  ['identical-message', false, withMeta('Hola a todos', 'params: [first_name]')],
  ['identical-message', false, parseTemplate('Hola {{city}}', 'p.md')],
  ['plain-text-message', true, parseTemplate('Hola {{city}}', 'p.md')],
  ['plain-text-message', false, withMeta('Hola {{first_name}}')],
  ['unknown-front-matter-key', true, withMeta('Hola {{first_name}}', 'paramz: [first_name]')],
  // Any key the tool does not read is said, not only near-misses (issue 10).
  ['unknown-front-matter-key', true, withMeta('Hola {{first_name}}', 'header_image: https://x.es/a.png')],
  ['unknown-front-matter-key', false, withMeta('Hola {{first_name}}', 'params: [first_name]\nown_domains: [partido.es]\nfooter: Responde BAJA\npurpose: electoral\nsender: Partido Ejemplo')],
];

describe('lintTemplate', () => {
  it.each(CASES)('%s fires=%s (case %#)', (rule, fires, t) => {
    expect(rulesOf(t).includes(rule)).toBe(fires);
  });

  it('findings have no line and name the template', () => {
    for (const f of lintTemplate(withMeta('Hola {{nombre}} https://bit.ly/x'), HEADER)) {
      expect(f.line).toBeUndefined();
      expect(f.message).toContain('msg.md');
    }
  });

  it('passes the clean sample fixture', async () => {
    const t = await readTemplate('test/fixtures/templates/good-invite.md');
    // The fixture is unsigned and gives no opt-out: only those two warnings (issue 10 item 8).
    const found = lintTemplate(t, ['telefono', 'consent', 'first_name', 'city']);
    expect(found.map((f) => `${f.rule}:${f.severity}`).sort()).toEqual(['optout-missing:warning', 'sender-missing:warning']);
  });

  it.each([
    ['bad-video-donation.md', 'link-text-mismatch'],
    ['bad-shortener.md', 'link-shortener'],
    ['bad-shortener.md', 'link-domain-mismatch'],
  ])('%s raises %s', async (name, rule) => {
    const t = await readTemplate(`test/fixtures/templates/${name}`);
    expect(lintTemplate(t, ['phone', 'first_name']).map((f) => f.rule)).toContain(rule);
  });

  it('checks the rendered length per row', () => {
    const t = withMeta('Hola {{first_name}}');
    expect(checkRenderedLength(t, 'x'.repeat(1024))).toBeNull();
    expect(checkRenderedLength(t, 'x'.repeat(1025))).toMatchObject({ rule: 'body-too-long', severity: 'error' });
    expect(checkRenderedLength(parseTemplate('Hola {{a}}', 'p.md'), 'x'.repeat(4096))).toBeNull();
    expect(checkRenderedLength(parseTemplate('Hola {{a}}', 'p.md'), 'x'.repeat(4097))).not.toBeNull();
  });

  it('catalogues every rule once, kebab-case, with a fix', () => {
    const all = [...TEMPLATE_RULES, ...LINK_RULES];
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    for (const r of all) {
      expect(r.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(r.fix.length).toBeGreaterThan(10);
    }
  });

  it('emits only catalogued rule ids with their catalogued severity', () => {
    const catalogue = new Map([...TEMPLATE_RULES, ...LINK_RULES].map((r) => [r.id, r.severity]));
    const t = withMeta('Grupo pedofilia: el equipo de WhatsApp, gana dinero fácil http://bit.ly/x {{zz}}', 'paramz: 1\nlinks:\n  - url: https://y0utube.com/a\n    kind: video');
    const findings = lintTemplate(t, HEADER);
    expect(findings.length).toBeGreaterThan(5);
    for (const f of findings) expect(catalogue.get(f.rule)).toBe(f.severity);
  });
});
