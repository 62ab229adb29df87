import { describe, expect, it } from 'vitest';
import { parseMetaPayload } from '../../../src/core/providers/cloud/index.js';
import { parseTwilioForm } from '../../../src/core/providers/twilio/index.js';
import { parseVonagePayload } from '../../../src/core/providers/vonage/index.js';
import { toE164 } from '../../../src/core/providers/webhook.js';

const AT = '2025-01-01T00:00:00.000Z';
const meta = (value: unknown, field = 'messages') => ({ object: 'whatsapp_business_account', entry: [{ id: 'W', changes: [{ field, value }] }] });

describe('parseMetaPayload', () => {
  it('statuses: recipient_id → +E.164, errors[0].code, biz_opaque_callback_data', () => {
    const items = parseMetaPayload(meta({
      statuses: [
        { id: 'wamid.1', status: 'delivered', timestamp: '1750000000', recipient_id: '34600111222' },
        { id: 'wamid.2', status: 'failed', timestamp: '1750000001', recipient_id: '34600111223', biz_opaque_callback_data: 'c1:+34600111223', errors: [{ code: 131050, title: 'x' }] },
        { id: 'wamid.3', status: 'weird', timestamp: '1', recipient_id: '1' },
      ],
    }), AT);
    expect(items).toEqual([
      { kind: 'status', provider: 'cloud', id: 'wamid.1', to: '+34600111222', status: 'delivered', at: '2025-06-15T15:06:40.000Z' },
      { kind: 'status', provider: 'cloud', id: 'wamid.2', to: '+34600111223', status: 'failed', code: '131050', correlation: 'c1:+34600111223', at: '2025-06-15T15:06:41.000Z' },
    ]);
  });
  it('messages: text, template button, interactive button_reply, with context id', () => {
    const items = parseMetaPayload(meta({
      messages: [
        { from: '34600111222', id: 'm1', timestamp: '1750000000', type: 'text', text: { body: 'BAJA' } },
        { from: '34600111222', id: 'm2', timestamp: '1750000000', type: 'button', context: { from: 'x', id: 'wamid.9' }, button: { payload: 'STOP_PROMOTIONS', text: 'Stop promotions' } },
        { from: '34600111222', id: 'm3', timestamp: '1750000000', type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Sí' } } },
      ],
    }), AT);
    expect(items.map((i) => (i.kind === 'inbound' ? [i.from, i.text, i.buttonPayload, i.contextId] : null))).toEqual([
      ['+34600111222', 'BAJA', undefined, undefined],
      ['+34600111222', 'Stop promotions', 'STOP_PROMOTIONS', 'wamid.9'],
      ['+34600111222', 'Sí', 'yes', undefined],
    ]);
  });
  it('user_preferences stop → optout; resume → nothing', () => {
    const items = parseMetaPayload(meta({
      user_preferences: [
        { wa_id: '34600111222', detail: 'User requested to stop marketing messages', category: 'marketing_messages', value: 'stop', timestamp: 1750000000 },
        { wa_id: '34600111223', category: 'marketing_messages', value: 'resume', timestamp: 1750000000 },
      ],
    }, 'user_preferences'), AT);
    expect(items).toEqual([{ kind: 'optout', provider: 'cloud', from: '+34600111222', source: 'user_preferences', at: '2025-06-15T15:06:40.000Z' }]);
  });
  it('ignores junk', () => {
    expect(parseMetaPayload(null)).toEqual([]);
    expect(parseMetaPayload({ entry: 'x' })).toEqual([]);
    expect(parseMetaPayload([1, 2])).toEqual([]);
  });
});

describe('parseTwilioForm', () => {
  it.each([
    ['queued', 'sent'], ['sending', 'sent'], ['sent', 'sent'], ['delivered', 'delivered'], ['read', 'read'],
    ['failed', 'failed'], ['undelivered', 'failed'],
  ])('MessageStatus %s → %s', (raw, status) => {
    const [item] = parseTwilioForm({ MessageSid: 'SM1', MessageStatus: raw, To: 'whatsapp:+34600111222', From: 'whatsapp:+15550001111' }, AT);
    expect(item).toEqual({ kind: 'status', provider: 'twilio', id: 'SM1', to: '+34600111222', status, at: AT });
  });
  it('keeps ErrorCode and a ?ref= correlation', () => {
    const [item] = parseTwilioForm({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '63014', To: 'whatsapp:+34600111222' }, AT, new URLSearchParams('ref=c1:%2B34600111222'));
    expect(item).toMatchObject({ status: 'failed', code: '63014', correlation: 'c1:+34600111222' });
  });
  it('inbound: Body, ButtonPayload, From without whatsapp:', () => {
    expect(parseTwilioForm({ MessageSid: 'SM2', SmsStatus: 'received', Body: 'Baja', From: 'whatsapp:+34600111222', To: 'whatsapp:+1555' }, AT))
      .toEqual([{ kind: 'inbound', provider: 'twilio', from: '+34600111222', text: 'Baja', at: AT }]);
    expect(parseTwilioForm({ MessageSid: 'SM3', SmsStatus: 'received', Body: 'Stop promotions', ButtonPayload: 'STOP_PROMO', From: 'whatsapp:+34600111222' }, AT)[0])
      .toMatchObject({ buttonPayload: 'STOP_PROMO', text: 'Stop promotions' });
  });
});

describe('parseVonagePayload', () => {
  it.each([['submitted', 'sent'], ['delivered', 'delivered'], ['read', 'read'], ['rejected', 'failed'], ['undeliverable', 'failed']])('%s → %s', (raw, status) => {
    const [item] = parseVonagePayload({ message_uuid: 'u1', to: '34600111222', from: '1555', timestamp: '2025-01-01T10:00:00.000Z', status: raw, channel: 'whatsapp' }, AT);
    expect(item).toMatchObject({ kind: 'status', provider: 'vonage', id: 'u1', to: '+34600111222', status, at: '2025-01-01T10:00:00.000Z' });
  });
  it('error.type fragment is the code; client_ref is the correlation', () => {
    const [item] = parseVonagePayload({ message_uuid: 'u1', to: '34600111222', status: 'rejected', client_ref: 'c1:+34600111222', error: { type: 'https://developer.nexmo.com/api-errors/messages-olympus#1050', title: 'Barred' } }, AT);
    expect(item).toMatchObject({ code: '1050', correlation: 'c1:+34600111222' });
  });
  it('inbound text and reply', () => {
    expect(parseVonagePayload({ message_uuid: 'u2', from: '34600111222', to: '1555', message_type: 'text', text: 'STOP', channel: 'whatsapp' }, AT))
      .toEqual([{ kind: 'inbound', provider: 'vonage', from: '+34600111222', text: 'STOP', at: AT }]);
    expect(parseVonagePayload({ from: '34600111222', message_type: 'reply', reply: { id: 'STOP_PROMO', title: 'Stop promotions' } }, AT)[0])
      .toMatchObject({ buttonPayload: 'STOP_PROMO', text: 'Stop promotions' });
  });
});

it('toE164', () => {
  expect(toE164('whatsapp:+34 600 111 222')).toBe('+34600111222');
  expect(toE164('16505551234')).toBe('+16505551234');
  expect(toE164('')).toBeUndefined();
});
