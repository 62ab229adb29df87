/**
 * Lists as the tools that collect opt-ins really export them (form tools, CRMs, mailing tools,
 * spreadsheets in Spanish and Portuguese locales): who is messaged, and which columns decided.
 * Header names and value conventions are those of the tools' own exports.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consentColumnRank, isDoNotContactColumn } from '../../../src/core/contacts/columns.js';
import { consentReader, isExplicitYes, isFlagSet } from '../../../src/core/contacts/consent.js';
import { mergeOptions } from '../../../src/core/config/load.js';
import { InputError } from '../../../src/core/errors.js';
import type { Finding } from '../../../src/core/findings.js';
import { lint } from '../../../src/core/lint/index.js';
import { tempDir, tempFile } from './helpers.js';

async function run(csv: string, flags: Record<string, unknown> = {}) {
  const findings: Finding[] = [];
  const result = await lint({ contactsPath: tempFile(csv), options: mergeOptions({}, { defaultCountry: 'ES', ...flags }), cwd: tempDir(), onFinding: (f) => findings.push(f) });
  return { ...result, findings, rules: (rule: string) => findings.filter((f) => f.rule === rule) };
}

describe('form exports: the messaging question decides, not the data-processing authorisation', () => {
  it('Google Forms (Colombia): Habeas Data authorised by all, WhatsApp opt-in by some', async () => {
    const r = await run(
      [
        '"Marca temporal","Nombre completo","Número de WhatsApp","Autorización de tratamiento de datos personales","¿Desea recibir información por WhatsApp?"',
        '"2026/11/03 10:15:22 a. m. GMT-5","Ana Gómez","+57 300 1234567","Sí, autorizo","Sí"',
        '"2026/11/03 10:17:05 a. m. GMT-5","Luis Pérez","+57 310 7654321","Sí, autorizo","No"',
        '"2026/11/03 11:02:40 a. m. GMT-5","Marta Ruiz","+57 315 1112233","Sí, autorizo","Sí, quiero"',
      ].join('\n'),
    );
    expect(r.columns.consentColumn).toBe('¿Desea recibir información por WhatsApp?');
    expect(r.contacts).toMatchObject({ rows: 3, sendable: 2, no_consent: 1 });
  });

  it('a list whose only consent-like column is a privacy authorisation is refused, naming --consent-column', async () => {
    const err = await run('Nombre,Teléfono,Acepto la política de privacidad\nAna,+34612000001,Sí\n').catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/privacy or data-processing authorisation, which is not consent/);
    expect(err.hint).toMatch(/--consent-column/);
  });

  it('two equally good consent columns: refused (exit 2) naming both', async () => {
    const err = await run('phone,Consentimiento,Acepta\n+34612000001,sí,sí\n').catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain('"Consentimiento", "Acepta"');
  });

  it('a "Consentimiento retirado" column is never the consent column: it withdraws', async () => {
    const r = await run('Teléfono,Consentimiento,Consentimiento retirado\n+34612000001,Sí,\n+34612000002,Sí,Sí\n+34612000003,Sí,12/05/2026\n+34612000004,Sí,No\n');
    expect(r.columns).toMatchObject({ consentColumn: 'Consentimiento', doNotContact: ['Consentimiento retirado'] });
    expect(r.contacts).toMatchObject({ rows: 4, sendable: 2, suppressed: 2 });
    expect(r.rules('do-not-contact').map((f) => [f.line, f.column])).toEqual([[3, 'Consentimiento retirado'], [4, 'Consentimiento retirado']]);
  });

  it('Typeform and Microsoft Forms answers that mean yes; --consent-yes for the rest', async () => {
    const csv = 'Phone,Do you agree to receive updates via WhatsApp?\n+34612000001,"Yes, I agree"\n+34612000002,I agree to receive messages\n+34612000003,"No, thanks"\n+34612000004,Count me in\n';
    expect((await run(csv)).contacts).toMatchObject({ sendable: 2, no_consent: 2 });
    expect((await run(csv, { consentYes: ['Count me in'] })).contacts).toMatchObject({ sendable: 3, no_consent: 1 });
  });
});

describe('CRM and mailing-tool exports: do-not-contact flags keep the row out whatever its consent says', () => {
  it('CiviCRM: Do Not SMS and Is Deceased (Yes/No), mobile over home phone', async () => {
    const r = await run(
      [
        '"Contact ID","Display Name","Phone (Home)","Phone (Mobile)","Do Not SMS","Is Deceased","WhatsApp Opt-in"',
        '"101","Ana","+34911000001","+34612000001","No","No","Yes"',
        '"102","Luis","+34911000002","+34612000002","Yes","No","Yes"',
        '"103","Marta","+34911000003","+34612000003","No","Yes","Yes"',
        '"104","Pere","+34911000004","","No","No","Yes"',
      ].join('\n'),
    );
    expect(r.columns).toMatchObject({ phoneColumn: 'Phone (Mobile)', consentColumn: 'WhatsApp Opt-in', doNotContact: ['Do Not SMS', 'Is Deceased'] });
    expect(r.contacts).toMatchObject({ rows: 4, sendable: 2, suppressed: 2 });
    // Pere has no mobile: the home phone is used, and said so.
    expect(r.rules('phone-fallback')).toEqual([expect.objectContaining({ line: 5, column: 'Phone (Home)', value: '+34911000004' })]);
  });

  it('Brevo: SMS_BLACKLISTED and BLACKLISTED count, EMAIL_BLACKLISTED does not', async () => {
    const r = await run(
      'EMAIL;SMS;NOMBRE;OPT_IN_WHATSAPP;EMAIL_BLACKLISTED;SMS_BLACKLISTED;BLACKLISTED\n' +
        'a@x.es;34612000001;Ana;true;true;false;false\n' +
        'b@x.es;34612000002;Luis;true;false;true;false\n' +
        'c@x.es;34612000003;Marta;true;false;false;true\n',
      { international: true },
    );
    expect(r.columns.doNotContact).toEqual(['SMS_BLACKLISTED', 'BLACKLISTED']);
    expect(r.contacts).toMatchObject({ sendable: 1, suppressed: 2 });
  });

  it('NationBuilder: do_not_contact and is_deceased; mobile_number first, phone_number when it is empty', async () => {
    const r = await run(
      'nationbuilder_id,first_name,phone_number,work_phone_number,mobile_number,do_not_contact,do_not_call,is_deceased,email_opt_in,whatsapp_opt_in\n' +
        '1,Ana,+34612000001,+34911000001,+34622000001,false,false,false,true,true\n' +
        '2,Luis,+34612000002,,,true,false,false,true,true\n' +
        '3,Marta,,+34911000003,+34622000003,false,true,false,false,true\n',
    );
    expect(r.columns).toMatchObject({ phoneColumn: 'mobile_number', phoneFallbacks: ['phone_number', 'work_phone_number'], doNotContact: ['do_not_contact', 'is_deceased'] });
    // do_not_call is about calls, email_opt_in about email: neither decides a WhatsApp message.
    expect(r.contacts).toMatchObject({ sendable: 2, suppressed: 1 });
  });

  it('HubSpot: "Unsubscribed from all email" is another channel; the WhatsApp opt-in decides', async () => {
    const r = await run('First Name,Phone Number,Mobile Phone Number,Unsubscribed from all email,WhatsApp opt-in\nAna,+34911000001,+34612000001,true,Yes\n');
    expect(r.columns).toMatchObject({ phoneColumn: 'Mobile Phone Number', consentColumn: 'WhatsApp opt-in', doNotContact: [] });
    expect(r.contacts).toMatchObject({ sendable: 1 });
  });

  it('a spreadsheet in a Spanish locale: VERDADERO / FALSO, and a "Fecha baja" date', async () => {
    const r = await run('Teléfono;Consentimiento;No molestar;Fecha baja\n612000001;VERDADERO;FALSO;\n612000002;VERDADERO;VERDADERO;\n612000003;VERDADERO;FALSO;03/05/2025\n');
    expect(r.contacts).toMatchObject({ rows: 3, sendable: 1, suppressed: 2 });
  });

  it('a flagged row takes back the yes of another row for the same number', async () => {
    const r = await run('phone,consent,do_not_contact\n+34612000001,yes,\n+34612000001,yes,1\n');
    expect(r.contacts).toMatchObject({ rows: 2, sendable: 0 });
  });
});

describe('reading flags and answers', () => {
  it.each([['1', true], ['x', true], ['Sí', true], ['VERDADERO', true], ['true', true], ['2026-05-03', true], ['se mudó', true], ['', false], ['0', false], ['no', false], ['FALSO', false], ['false', false], ['Não', false]])(
    'flag %j → %s',
    (value, set) => expect(isFlagSet(value)).toBe(set),
  );
  it.each([['Sí, quiero', true], ['Si, acepto', true], ['Acepto recibir información por WhatsApp', true], ['Yes, I agree', true], ['Sim, quero receber', true], ['Si tengo tiempo', false], ['No, gracias', false], ['No quiero', false], ['Não quero', false], ["I don't agree", false], ['yes?', false], ['Sí, pero no por WhatsApp', false]])(
    'answer %j → %s',
    (value, yes) => expect(isExplicitYes(value)).toBe(yes),
  );
  it.each([['Consentimiento retirado', true], ['Do Not SMS', true], ['do_not_email', false], ['Lugar donde trabaja', false], ['EMAIL_BLACKLISTED', false], ['Falecido', true]])(
    'do-not-contact column %j → %s',
    (name, dnc) => expect(isDoNotContactColumn(name)).toBe(dnc),
  );
  it.each([['Consentimiento retirado', 0], ['¿Desea recibir información por WhatsApp?', 4], ['Autorización de tratamiento de datos personales', 1], ['Email opt-in', 0]])(
    'consent rank of %j → %i',
    (name, rank) => expect(consentColumnRank(name)).toBe(rank),
  );
});

describe('properties', () => {
  const NEGATIONS = ['no', 'No', 'NO', 'não', 'nao', 'not', "don't", 'nunca', 'never'];
  it('a value with a negation word is never yes, whatever surrounds it', () => {
    const word = fc.constantFrom('sí', 'si', 'yes', 'acepto', 'quiero', 'whatsapp', 'recibir', 'gracias', 'I agree', 'sim', ',', '.', '!');
    fc.assert(
      fc.property(fc.array(word, { maxLength: 4 }), fc.constantFrom(...NEGATIONS), fc.array(word, { maxLength: 4 }), (before, neg, after) => {
        expect(consentReader()([...before, neg, ...after].join(' '))).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('a row with any do-not-contact flag set is never sendable, and every row is counted once', async () => {
    const flag = fc.constantFrom('', '0', 'no', 'FALSO', '1', 'sí', 'x', 'VERDADERO', '2025-01-01');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom('sí', 'no', 'yes', ''), flag, flag), { minLength: 1, maxLength: 10 }), async (rows) => {
        const csv = ['phone,consent,do_not_contact,Fallecido', ...rows.map(([n, c, a, b]) => `+3461200000${n},${c},${a},${b}`)].join('\n');
        const r = await run(csv);
        const counted = ['sendable', 'no_consent', 'invalid_phone', 'duplicate', 'suppressed', 'filtered_out', 'missing_variable', 'already_messaged', 'recently_messaged'] as const;
        expect(counted.reduce((s, k) => s + ((r.contacts as Record<string, number>)[k] ?? 0), 0)).toBe(rows.length);
        const flagged = new Set(rows.filter(([, , a, b]) => isFlagSet(a) || isFlagSet(b)).map(([n]) => n));
        const sendableNumbers = new Set(rows.filter(([n, c]) => isExplicitYes(c) && !flagged.has(n) && !rows.some(([m, d, a, b]) => m === n && (!isExplicitYes(d) || isFlagSet(a) || isFlagSet(b)))).map(([n]) => n));
        expect(r.contacts.sendable).toBe(sendableNumbers.size);
      }),
      { numRuns: 100 },
    );
  });
});

describe('each number in its own country', () => {
  it('a País column decides national numbers; --default-country is only the fallback', async () => {
    const r = await run('Nombre,Teléfono,País,Consentimiento\nCamila,9 6543 2109,Chile,sí\nMateo,987 654 321,Perú,sí\nLucía,612 345 678,,sí\nDiego,55 1234 5678,MX,sí\nX,612 000 001,Narnia,sí\n');
    expect(r.columns.countryColumn).toBe('País');
    expect(r.contacts).toMatchObject({ rows: 5, sendable: 4 });
    const err = r.rules('phone-needs-country')[0];
    expect(err).toMatchObject({ line: 6, message: expect.stringMatching(/"Narnia" is not a known country|fill its "País" cell/) });
  });

  it('WhatsApp IDs without +: --international reads them, and lint suggests it', async () => {
    const csv = 'wa_id,opt_in\n5215512345678\n34612345678\n5511987654321\n'.replace(/\n(\d+)/g, '\n$1,yes');
    const plain = await run(csv, { defaultCountry: undefined });
    expect(plain.rules('international-suggested')).toHaveLength(1);
    expect(plain.contacts.sendable).toBe(0);
    const intl = await run(csv, { defaultCountry: undefined, international: true });
    expect(intl.contacts.sendable).toBe(3);
    expect(intl.rules('international-suggested')).toEqual([]);
  });

  it('an Argentine mobile without its 9 in a WhatsApp column is named; in a generic phone column it stays a landline', async () => {
    const mobile = await run('whatsapp,consent\n+54 11 2345 6789,sí\n');
    expect(mobile.rules('argentina-mobile-9')[0]?.message).toContain('+5491123456789');
    const generic = await run('phone,consent\n+54 11 2345 6789,sí\n');
    expect(generic.rules('argentina-mobile-9')).toEqual([]);
    expect(generic.rules('landline')).toHaveLength(1);
  });
});

describe('an opt-out list with a country column', () => {
  it('reads each national number in its own country, like the contact list', async () => {
    const optouts = tempFile('Teléfono;País;Motivo\n9 6543 2109;Chile;no quiere\n');
    const r = await run('Nombre,Teléfono,País,Consentimiento\nCamila,9 6543 2109,Chile,sí\nLucía,965 432 109,España,sí\n', { suppress: [optouts] });
    expect(r.contacts).toMatchObject({ rows: 2, sendable: 1, suppressed: 1 });
  });
});
