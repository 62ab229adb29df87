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
