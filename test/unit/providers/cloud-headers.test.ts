import { beforeAll, describe, expect, it } from 'vitest';
import { buildMessage } from '../../../src/core/campaign/send.js';
import { buildCloudMessage } from '../../../src/core/providers/cloud/index.js';
import { buildVonageMessage } from '../../../src/core/providers/vonage/index.js';
import type { Template, TemplateMeta } from '../../../src/core/template/types.js';
import { templateColumns } from '../../../src/core/template/render.js';
import { loadCloudSpec, type CloudSpecValidator } from './specs.js';

let spec: CloudSpecValidator;
beforeAll(() => {
  spec = loadCloudSpec();
});

// Built directly: the front matter parser is another branch's work.
function template(meta: Partial<TemplateMeta>, body = 'Hola {{nombre}}'): Template {
  return {
    path: '/tmp/t.md',
    meta: { template: 'acto', language: 'es', category: 'marketing', params: ['nombre'], links: [], extra: {}, ...meta },
    body,
    placeholders: ['nombre'],
    bodyLine: 1,
    sha256: 'x',
  };
}
const row = { line: 2, bucket: 'sendable' as const, phone: '+34612345678', record: { nombre: 'Ana', ciudad: 'Málaga', ref: 'a b/1', video: 'v 1' } };
const cloudBody = (t: Template, ids?: Map<string, string>) => buildCloudMessage(buildMessage(t, row, 'Hola Ana', 'cmp', {}, ids)) as any;

describe('header and button components (Cloud API)', () => {
  it('a video header by link, rendered per recipient, is valid against Meta\'s schema', () => {
    const body = cloudBody(template({ header: { kind: 'video', url: 'https://partido.es/v/{{video}}.mp4' } }));
    expect(body.template.components[0]).toEqual({ type: 'header', parameters: [{ type: 'video', video: { link: 'https://partido.es/v/v%201.mp4' } }] });
    expect(body.template.components[1].type).toBe('body');
    expect(spec.checkMessage(body)).toEqual([]);
  });

  it('an image from a local file uses the uploaded id', () => {
    const t = template({ header: { kind: 'image', file: '/data/cartel.png' } });
    const body = cloudBody(t, new Map([['/data/cartel.png', '99887766']]));
    expect(body.template.components[0]).toEqual({ type: 'header', parameters: [{ type: 'image', image: { id: '99887766' } }] });
    expect(spec.checkMessage(body)).toEqual([]);
  });

  it('a document header carries the filename the recipient sees (the file name by default)', () => {
    const byUrl = cloudBody(template({ header: { kind: 'document', url: 'https://partido.es/programa.pdf', filename: 'Programa.pdf' } }));
    expect(byUrl.template.components[0].parameters[0]).toEqual({ type: 'document', document: { link: 'https://partido.es/programa.pdf', filename: 'Programa.pdf' } });
    expect(spec.checkMessage(byUrl)).toEqual([]);
    const byFile = cloudBody(template({ header: { kind: 'document', file: '/data/programa-2027.pdf' } }), new Map([['/data/programa-2027.pdf', '1']]));
    expect(byFile.template.components[0].parameters[0]).toEqual({ type: 'document', document: { id: '1', filename: 'programa-2027.pdf' } });
    expect(spec.checkMessage(byFile)).toEqual([]);
  });

  it('a text header sends its placeholders as parameters; one without placeholders sends nothing', () => {
    const body = cloudBody(template({ header: { kind: 'text', text: 'Acto en {{ciudad}}' } }));
    expect(body.template.components[0]).toEqual({ type: 'header', parameters: [{ type: 'text', text: 'Málaga' }] });
    expect(spec.checkMessage(body)).toEqual([]);
    const fixed = cloudBody(template({ header: { kind: 'text', text: 'Acto' } }));
    expect(fixed.template.components.map((c: any) => c.type)).toEqual(['body']);
  });

  it('buttons: URL suffixes and quick-reply payloads at their own positions', () => {
    const body = cloudBody(template({
      buttons: [
        { type: 'quick_reply', text: 'No me interesa', optout: true },
        { type: 'url', param: 'ref' },
        { type: 'url' },
        { type: 'quick_reply', text: 'Iré' },
      ],
    }));
    const buttons = body.template.components.filter((c: any) => c.type === 'button');
    expect(buttons).toEqual([
      { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'OPTOUT:No me interesa' }] },
      { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'a%20b/1' }] },
      { type: 'button', sub_type: 'quick_reply', index: '3', parameters: [{ type: 'payload', payload: 'REPLY:Iré' }] },
    ]);
    expect(spec.checkMessage(body)).toEqual([]);
  });

  it('button_params without buttons keep working as before', () => {
    const body = cloudBody(template({ button_params: ['ref'] }));
    expect(body.template.components[1]).toEqual({ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'a%20b/1' }] });
    expect(spec.checkMessage(body)).toEqual([]);
  });

  it('the header\'s and buttons\' columns are columns the template reads (missing-column checks, row cache)', () => {
    const t = template({ header: { kind: 'video', url: 'https://x.es/{{video}}' }, buttons: [{ type: 'url', param: 'ref' }] });
    expect(new Set(templateColumns(t))).toEqual(new Set(['nombre', 'video', 'ref']));
  });

  it('Vonage forwards header media and buttons in Meta\'s native object (custom)', () => {
    const msg = buildMessage(template({ header: { kind: 'image', url: 'https://partido.es/c.png' }, buttons: [{ type: 'quick_reply', text: 'Baja', optout: true }] }), row, 'Hola Ana', 'cmp', {});
    const body = buildVonageMessage(msg, '+34900000000') as any;
    expect(body.message_type).toBe('custom');
    const native = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '34612345678', type: 'template', template: body.custom.template };
    expect(native.template.components[0]).toEqual({ type: 'header', parameters: [{ type: 'image', image: { link: 'https://partido.es/c.png' } }] });
    expect(spec.checkMessage(native)).toEqual([]);
  });
});
