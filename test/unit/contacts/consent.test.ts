import { describe, expect, it } from 'vitest';
import { isExplicitYes } from '../../../src/core/contacts/consent.js';

describe('isExplicitYes fires', () => {
  it.each([
    'yes', 'YES', ' Yes ', 'y', 'Y', 'true', 'TRUE', '1', 'si', 'sí', 'SÍ', 'Sí.', 's', 'S', 'sim', 'Sim', 'x', 'X', '✓', '✔',
    'opt-in', 'Opt in', 'optin', 'opted in', 'acepto', 'Acepto', 'aceito', 'accept', 'accepted', 'consiento', 'autorizo',
    'sí, acepto', 'Sí acepto', 'de acuerdo', 'VERDADERO', 'verdadeiro', "d'acord", 'accepto',
  ])('%j', (value) => {
    expect(isExplicitYes(value)).toBe(true);
  });
});

describe('isExplicitYes must not fire', () => {
  it.each([
    '', ' ', 'no', 'No', 'n', 'N', '0', 'false', 'FALSE', 'no sé', 'no se', 'nao', 'não', 'maybe', 'quizás', 'ok',
    'pending', 'no acepto', 'not opted in', 'yes?', 'unsubscribed', 'opt-out', '2', '-', 'null', 'N/A', 'si no',
  ])('%j', (value) => {
    expect(isExplicitYes(value)).toBe(false);
  });

  it('undefined', () => {
    expect(isExplicitYes(undefined)).toBe(false);
  });
});
