import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyMetaSignature } from '../../../src/core/providers/cloud/index.js';
import { twilioSignature, verifyTwilioSignature } from '../../../src/core/providers/twilio/index.js';
import { verifyVonageJwt } from '../../../src/core/providers/vonage/index.js';

const b64url = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function jwt(claims: Record<string, unknown>, secret: string, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const h = b64url(header);
  const p = b64url(claims);
  const s = createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${s}`;
}

describe('verifyMetaSignature', () => {
  const secret = 'app-secret';
  // Meta escapes non-ASCII in what it signs; we must check the exact bytes received.
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[{"x":"\\u00e1"}]}');
  const good = 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');

  it('accepts the HMAC-SHA256 of the raw bytes, in either hex case', () => {
    expect(verifyMetaSignature(body, good, secret)).toBe(true);
    expect(verifyMetaSignature(body, good.toUpperCase().replace('SHA256=', 'sha256='), secret)).toBe(true);
  });
  it('refuses a missing, malformed, wrong-key or re-serialised signature', () => {
    expect(verifyMetaSignature(body, undefined, secret)).toBe(false);
    expect(verifyMetaSignature(body, 'sha256=abc', secret)).toBe(false);
    expect(verifyMetaSignature(body, good.replace('sha256=', 'sha1='), secret)).toBe(false);
    expect(verifyMetaSignature(body, good, 'other')).toBe(false);
    expect(verifyMetaSignature(body, good, '')).toBe(false);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString())));
    expect(verifyMetaSignature(reserialised, good, secret)).toBe(false);
  });
});

describe('verifyTwilioSignature', () => {
  // Twilio's documented example (api-snippets security/signature_validation).
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675310', Digits: '1234', From: '+14158675310', To: '+18005551212' };

  it("matches Twilio's published vector", () => {
    expect(twilioSignature(url, params, '12345')).toBe('GvWf1cFY/Q7PnoempGyD5oXAezc=');
    expect(verifyTwilioSignature(url, params, 'GvWf1cFY/Q7PnoempGyD5oXAezc=', '12345')).toBe(true);
  });
  it('refuses another URL, a changed param, a wrong token or no header', () => {
    expect(verifyTwilioSignature(url + '&x=1', params, 'GvWf1cFY/Q7PnoempGyD5oXAezc=', '12345')).toBe(false);
    expect(verifyTwilioSignature(url, { ...params, Digits: '1235' }, 'GvWf1cFY/Q7PnoempGyD5oXAezc=', '12345')).toBe(false);
    expect(verifyTwilioSignature(url, params, 'GvWf1cFY/Q7PnoempGyD5oXAezc=', '54321')).toBe(false);
    expect(verifyTwilioSignature(url, params, undefined, '12345')).toBe(false);
  });
  it('signs a repeated param value by value, sorted', () => {
    const data = 'https://x.test/h' + 'A1' + 'MediaUrla' + 'MediaUrlb';
    const sig = createHmac('sha1', 'tok').update(data).digest('base64');
    expect(verifyTwilioSignature('https://x.test/h', { MediaUrl: ['b', 'a'], A: '1' }, sig, 'tok')).toBe(true);
  });
});

describe('verifyVonageJwt', () => {
  const secret = 'vonage-signature-secret';
  const body = Buffer.from('{"message_uuid":"u1","status":"delivered"}');
  const hash = createHash('sha256').update(body).digest('hex');
  const now = Date.UTC(2025, 0, 1) ;
  const iat = now / 1000;

  it('accepts HS256 with a matching payload_hash', () => {
    expect(verifyVonageJwt(`Bearer ${jwt({ iat, jti: 'j', iss: 'Vonage', payload_hash: hash }, secret)}`, body, secret, { nowMs: now })).toBe(true);
  });
  it('refuses a wrong payload_hash, key, algorithm, expiry or a missing claim', () => {
    const other = createHash('sha256').update('x').digest('hex');
    expect(verifyVonageJwt(`Bearer ${jwt({ iat, payload_hash: other }, secret)}`, body, secret, { nowMs: now })).toBe(false);
    expect(verifyVonageJwt(`Bearer ${jwt({ iat, payload_hash: hash }, 'wrong')}`, body, secret, { nowMs: now })).toBe(false);
    expect(verifyVonageJwt(`Bearer ${jwt({ iat }, secret)}`, body, secret, { nowMs: now })).toBe(false);
    expect(verifyVonageJwt(`Bearer ${jwt({ iat, payload_hash: hash, exp: iat - 3600 }, secret)}`, body, secret, { nowMs: now })).toBe(false);
    expect(verifyVonageJwt(`Bearer ${jwt({ iat: iat + 3600, payload_hash: hash }, secret)}`, body, secret, { nowMs: now })).toBe(false);
    const none = `${b64url({ alg: 'none' })}.${b64url({ payload_hash: hash })}.`;
    expect(verifyVonageJwt(`Bearer ${none}`, body, secret, { nowMs: now })).toBe(false);
    expect(verifyVonageJwt(`Bearer ${jwt({ payload_hash: hash }, secret, { alg: 'HS512' })}`, body, secret, { nowMs: now })).toBe(false);
    expect(verifyVonageJwt(undefined, body, secret)).toBe(false);
    expect(verifyVonageJwt('Basic abc', body, secret)).toBe(false);
  });

  // iat within 5 minutes of now either way (required: a token without it is replayable forever);
  // exp, when present, not passed.
  const Y = 365 * 24 * 3600;
  it.each<[string, Record<string, unknown>, boolean]>([
    ['iat now', { iat }, true],
    ['iat 299 s ago', { iat: iat - 299 }, true],
    ['iat 299 s ahead (clock skew)', { iat: iat + 299 }, true],
    ['iat 301 s ago', { iat: iat - 301 }, false],
    ['iat 301 s ahead', { iat: iat + 301 }, false],
    ['iat two years old', { iat: iat - 2 * Y }, false],
    ['no iat', {}, false],
    ['iat as a string', { iat: String(iat) }, false],
    ['iat null', { iat: null }, false],
    ['exp in a minute', { iat, exp: iat + 60 }, true],
    ['exp a second ago', { iat, exp: iat - 1 }, false],
    ['exp exactly now', { iat, exp: iat }, false],
    ['exp as a string', { iat, exp: String(iat + 60) }, false],
    ['nbf a minute ahead', { iat, nbf: iat + 60 }, true],
    ['nbf an hour ahead', { iat, nbf: iat + 3600 }, false],
  ])('%s → %s', (_name, claims, ok) => {
    expect(verifyVonageJwt(`Bearer ${jwt({ ...claims, payload_hash: hash }, secret)}`, body, secret, { nowMs: now })).toBe(ok);
  });
});
