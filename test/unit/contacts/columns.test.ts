import { describe, expect, it } from 'vitest';
import { consentColumnRank, phoneColumnRank, resolveColumns } from '../../../src/core/contacts/columns.js';
import { InputError } from '../../../src/core/errors.js';

describe('phone column names', () => {
  it.each([
    ['phone', true], ['Phone Number', true], ['PHONE_NUMBER', true], ['teléfono', true], ['Telefono', true],
    ['número de teléfono', true], ['Número', true], ['tel', true], ['Tel.', true], ['móvil', true], ['MOVIL', true],
    ['celular', true], ['cel', true], ['mobile', true], ['cell', true], ['WhatsApp', true], ['whats-app', true],
    ['msisdn', true], ['telemóvel', true], ['Telefone', true], ['número de WhatsApp', true], ['mobile_phone', true],
    ['name', false], ['whatsapp_opt_in', false], ['consent', false], ['telefono_fecha', false], ['city', false],
  ])('%s → %s', (name, isPhone) => {
    expect(phoneColumnRank(name) > 0).toBe(isPhone);
  });
});

describe('consent column names', () => {
  it.each([
    ['consent', true], ['Consentimiento', true], ['consentimento', true], ['opt-in', true], ['optin', true],
    ['Opt_In', true], ['aceite', true], ['acepta', true], ['Acepta WhatsApp', true], ['autorización', true],
    ['autoriza', true], ['permiso', true], ['whatsapp_opt_in', true], ['consent_given', true], ['consentimiento_whatsapp', true],
    ['consent_at', false], ['fecha_consentimiento', false], ['consent_source', false], ['optin_email', false],
    ['phone', false], ['name', false],
  ])('%s → %s', (name, isConsent) => {
    expect(consentColumnRank(name) > 0).toBe(isConsent);
  });
});

describe('resolveColumns', () => {
  it('prefers whatsapp over mobile over phone, whatever the order', () => {
    expect(resolveColumns(['telefono', 'movil', 'whatsapp', 'consent'], {}, 'c.csv').phoneColumn).toBe('whatsapp');
    expect(resolveColumns(['phone', 'Celular', 'consent'], {}, 'c.csv').phoneColumn).toBe('Celular');
    expect(resolveColumns(['Teléfono', 'Consentimiento'], {}, 'c.csv')).toMatchObject({ phoneColumn: 'Teléfono', consentColumn: 'Consentimiento' });
  });

  it('prefers a WhatsApp-specific consent column', () => {
    expect(resolveColumns(['phone', 'consent', 'whatsapp_opt_in'], {}, 'c.csv').consentColumn).toBe('whatsapp_opt_in');
  });

  it('uses named columns, ignoring case and accents', () => {
    expect(resolveColumns(['contacto', 'ok'], { phoneColumn: 'CONTACTO', consentColumn: 'ok' }, 'c.csv')).toMatchObject({ phoneColumn: 'contacto', consentColumn: 'ok' });
  });

  it('names the file, line 1, the header and the flag when no phone column is found', () => {
    const err = (() => { try { resolveColumns(['name', 'consent'], {}, 'list.csv'); } catch (e) { return e; } })() as InputError;
    expect(err).toBeInstanceOf(InputError);
    expect(err.file).toBe('list.csv');
    expect(err.line).toBe(1);
    expect(err.message).toContain('"name", "consent"');
    expect(err.hint).toContain('--phone-column');
  });

  it('names --consent-column when no consent column is found', () => {
    expect(() => resolveColumns(['phone', 'name'], {}, 'list.csv')).toThrow(InputError);
    try { resolveColumns(['phone', 'name'], {}, 'list.csv'); } catch (e) { expect((e as InputError).hint).toContain('--consent-column'); }
  });

  it('lists the columns when a named column does not exist', () => {
    try {
      resolveColumns(['phone', 'consent'], { phoneColumn: 'movil' }, 'list.csv');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toMatch(/"movil".*--phone-column.*"phone", "consent"/);
    }
  });
});
