import { describe, expect, it } from 'vitest';
import { buildMessage, type SendPlan } from '../../../src/core/campaign/send.js';
import { previewParts } from '../../../src/cli/commands/send.js';
import type { Template, TemplateMeta } from '../../../src/core/template/types.js';

function planWith(meta: Partial<TemplateMeta>): SendPlan {
  const template: Template = {
    path: '/tmp/t.md',
    meta: { template: 'acto', language: 'es', category: 'marketing', params: [], links: [], extra: {}, ...meta },
    body: 'Hola', placeholders: [], bodyLine: 1, sha256: 'x',
  };
  const row = { line: 2, bucket: 'sendable' as const, phone: '+34612345678', record: { ciudad: 'Málaga', ref: 'abc', v: 'acto-malaga' } };
  return { template, first: { to: row.phone, line: 2, text: 'Hola', message: buildMessage(template, row, 'Hola', 'c', {}) } } as unknown as SendPlan;
}

describe('the send summary’s first-message preview', () => {
  it('shows a media header with the link rendered for the first recipient, the footer and the buttons', () => {
    const parts = previewParts(planWith({
      header: { kind: 'video', url: 'https://partido.es/v/{{v}}.mp4' },
      footer: 'Responde BAJA para no recibir más mensajes',
      buttons: [{ type: 'quick_reply', text: 'No me interesa', optout: true }, { type: 'url', param: 'ref', text: 'Ver' }],
    }));
    expect(parts).toEqual({
      above: ['[video header: https://partido.es/v/acto-malaga.mp4]'],
      below: ['Responde BAJA para no recibir más mensajes', '[button 1: No me interesa (opt-out)]', '[button 2: link "Ver", approved URL + abc]'],
    });
  });

  it('names a local file and a document’s shown name; renders a text header', () => {
    expect(previewParts(planWith({ header: { kind: 'document', file: '/m/programa-v3.pdf', filename: 'Programa.pdf' } })).above).toEqual([
      '[document header: programa-v3.pdf (local file, uploaded once), shown as Programa.pdf]',
    ]);
    expect(previewParts(planWith({ header: { kind: 'text', text: 'Acto en {{ciudad}}' } })).above).toEqual(['*Acto en Málaga*']);
    expect(previewParts(planWith({}))).toEqual({ above: [], below: [] });
  });
});
