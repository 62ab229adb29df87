import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { environmentSecrets, redact, SECRET_NAME, terminalSafe } from '../../../src/core/redact.js';
import { PROVIDERS } from '../../../src/core/providers/index.js';

describe('redact', () => {
  const TOKEN = 'EAAGm0PX4ZCpsBAKzp1ZAeZBZCxyz0123456789abcdefABCDEF';
  it.each([
    ['a secret value', `header: phone,${TOKEN},city`, [TOKEN], 'header: phone,[redacted],city'],
    ['a .env line', 'WHATSAPP_TOKEN=abc123xyz', [], 'WHATSAPP_TOKEN=[redacted]'],
    ['a quoted assignment', 'TWILIO_AUTH_TOKEN: "s3cr3t-value"', [], 'TWILIO_AUTH_TOKEN: "[redacted]"'],
    ['a bearer header', 'Authorization: Bearer abcdef12345', [], 'Authorization: [redacted]'],
    ['URL credentials', 'https://user:pa55@example.com/x', [], 'https://[redacted]@example.com/x'],
    ['a token-shaped string', `no column in "${TOKEN}"`, [], 'no column in "[redacted]"'],
    ['a 32-hex Twilio token', 'token 0123456789abcdef0123456789abcdef here', [], 'token [redacted] here'],
  ])('%s', (_name, input, secrets, expected) => expect(redact(input, secrets)).toBe(expected));

  it.each([
    ['a phone number', '+34612345678 and 0034612345678'],
    ['a long word', 'internationalisationalisation_is_long_but_a_word'],
    ['a UUID in a link', 'https://partido.es/e/550e8400-e29b-41d4-a716-446655440000'],
    ['a YouTube link', 'https://www.youtube.com/watch?v=dQw4w9WgXcQ'],
    ['the word basic', 'basic information about the campaign'],
  ])('leaves %s alone', (_name, input) => expect(redact(input)).toBe(input));

  it('every provider secret variable is one that the environment scan finds', () => {
    for (const p of Object.values(PROVIDERS)) for (const name of p.secretVars) expect(name).toMatch(SECRET_NAME);
    expect(environmentSecrets({ WHATSAPP_TOKEN: 'abcdef', WHATSAPP_PHONE_NUMBER_ID: '123456', HOME: '/root' })).toEqual(['abcdef']);
  });
});

describe('terminalSafe', () => {
  it.each([
    ['clear screen', 'Ana\x1b[2J\x1b[H', 'Ana\\x1b[2J\\x1b[H'],
    ['window title (OSC)', '\x1b]0;pwned\x07Luis', '\\x1b]0;pwned\\x07Luis'],
    ['C1 CSI', 'x\x9b31m', 'x\\x9b31m'],
    ['carriage return overwriting the line', 'ok\rFAKE', 'ok\\x0dFAKE'],
    ['bidi override', 'gpj.\u202Eexe', 'gpj.<U+202E>exe'],
    ['backspace and DEL', 'a\x08\x7f', 'a\\x08\\x7f'],
  ])('%s is shown, not obeyed', (_name, input, expected) => expect(terminalSafe(input)).toBe(expected));

  it('keeps newlines, tabs and ordinary accents', () => expect(terminalSafe('Hola Lucía,\n\tmañana')).toBe('Hola Lucía,\n\tmañana'));

});

describe('redact: the one-scan shortcut', () => {
  // The rules as they were before the shortcut, applied to every text.
  const reference = (text: string, secrets: readonly string[]): string => {
    let out = text;
    const variants = new Set<string>();
    for (const secret of secrets) {
      if (!secret || secret.length < 4) continue;
      variants.add(secret);
      variants.add(encodeURIComponent(secret));
      variants.add(JSON.stringify(secret).slice(1, -1));
      variants.add(Buffer.from(secret).toString('base64'));
    }
    for (const v of [...variants].sort((a, b) => b.length - a.length)) out = out.split(v).join('[redacted]');
    return out
      .replace(/(authorization["']?\s*[:=]\s*["']?)[^"',;\r\n]+/gi, '$1[redacted]')
      .replace(/\b(bearer|basic)\s+([A-Za-z0-9\-._~+/]+=*)/gi, (all, scheme: string, token: string) =>
        token.length >= 8 && /[\d+/=._-]/.test(token) ? `${scheme} [redacted]` : all,
      )
      .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, '$1[redacted]@')
      .replace(/(\b[A-Za-z][A-Za-z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|API_KEY)[A-Za-z0-9_]*\s*[=:]\s*["']?)[^\s"',;]+/gi, '$1[redacted]')
      .replace(/[A-Za-z0-9_]{32,}/g, (x) => (/[A-Za-z]/.test(x) && /\d/.test(x) ? '[redacted]' : x));
  };
  it('property: the one-scan shortcut changes nothing: the same text as all five patterns applied every time', () => {
    const piece = fc.oneof(
      fc.constantFrom('Authorization: ', 'authorization=', 'Bearer ', 'BASIC ', 'https://', 'u:p@', '://', 'my_token=', 'API_KEY: ', 'Secret', 'passwd', 'PassWord=', ' ', ',', '"', '@', '/', '\n', 'ſ', 'K'),
      fc.stringMatching(/^[A-Za-z0-9_]{20,40}$/),
      fc.stringMatching(/^[a-z0-9+./=_-]{1,12}$/),
      fc.string({ maxLength: 8 }),
      fc.string({ unit: 'binary', maxLength: 4 }),
    );
    const text = fc.array(piece, { maxLength: 12 }).map((xs) => xs.join(''));
    const secrets = fc.array(fc.constantFrom('EAAGm0PX4ZCps', 'abc', 's3cr3t/+=', 'token'), { maxLength: 2 });
    fc.assert(
      fc.property(text, secrets, (t, sec) => {
        expect(redact(t, sec)).toBe(reference(t, sec));
      }),
      { numRuns: 5000 },
    );
  });

  it('a run of token characters is found wherever it starts and however long it is', () => {
    for (const len of [31, 32, 33, 64, 65]) {
      const run = 'a1'.repeat(40).slice(0, len);
      for (let at = 0; at < 70; at++) {
        const text = `${'-'.repeat(at)}${run}${at % 2 ? '' : ' x'}`;
        expect(redact(text), `${len} at ${at}`).toBe(reference(text, []));
      }
    }
  });

  it('a list of secrets is read again when it is a new list (its forms are kept per list)', () => {
    expect(redact('x EAAGm0PX4ZCps y', ['EAAGm0PX4ZCps'])).toBe('x [redacted] y');
    expect(redact('x EAAGm0PX4ZCps y', ['other-secret'])).toBe('x EAAGm0PX4ZCps y');
  });
});
