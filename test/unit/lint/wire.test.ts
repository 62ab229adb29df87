import { describe, expect, it } from 'vitest';
import type { RowStep } from '../../../src/core/contacts/classify.js';
import { decodeBatch, decodeSteps, encodeBatch, encodeSteps } from '../../../src/core/lint/wire.js';

describe('the lint workers\' wire', () => {
  it('a batch goes out and comes back field for field, empty fields and quoted newlines included', () => {
    const batch = [
      { fields: ['Ana', '+34600000001', 'sí'], line: 2 },
      { fields: ['dos\nlíneas', '', ''], line: 3 },
      { fields: [''], line: 5 },
    ];
    expect(decodeBatch(encodeBatch(0, batch))).toEqual(batch);
  });

  it('a field holding the separator is refused (the main thread then does the batch)', () => {
    expect(decodeBatch(encodeBatch(1, [{ fields: ['a\u0000b', 'c'], line: 2 }]))).toBeUndefined();
  });

  it('steps come back as they were, with the record rebuilt from the fields', () => {
    const header = ['nombre', 'phone', 'consent', 'mobile'];
    const batch = [
      { fields: ['Ana', '600000001', 'yes', ''], line: 2 },
      { fields: ['Eva', '', 'no', '611'], line: 3 },
      { fields: ['Max', '', 'yes', '="612"'], line: 4 },
      { fields: ['Sol', 'abc', 'yes', ''], line: 5 },
    ];
    const rec = (i: number) => Object.fromEntries(header.map((h, c) => [h, (batch[i].fields[c] ?? '').replace(/^="(.*)"$/, '$1')]));
    const steps: RowStep[] = [
      { kind: 'candidate', line: 2, phone: '+34600000001', consent: 'yes', raw: '600000001', numberColumn: 'phone', record: rec(0), bucket: 'sendable', claims: true, text: 'Hola Ana' },
      { kind: 'decline', line: 3, bucket: 'no_consent', phone: '+34611', consent: 'no', record: rec(1), findings: [{ rule: 'no-consent', severity: 'warning', message: 'm', line: 3 }] },
      { kind: 'candidate', line: 4, phone: '+34612', consent: 'yes', raw: '612', numberColumn: 'mobile', record: rec(2), bucket: 'missing_variable', claims: true, after: [{ rule: 'landline', severity: 'warning', message: 'l', line: 4 }] },
      { kind: 'final', line: 5, bucket: 'invalid_phone', record: rec(3) },
    ];
    const wire = encodeSteps(7, steps.map((s) => ({ ...s })), 'phone');
    const back = decodeSteps(wire, batch, { header, phoneColumn: 'phone', consentIndex: 2, keep: 'all' });
    expect(back.map((s) => JSON.parse(JSON.stringify(s)))).toEqual(steps.map((s) => JSON.parse(JSON.stringify(s))));
    const slim = decodeSteps(wire, batch, { header, phoneColumn: 'phone', consentIndex: 2, keep: ['phone'] });
    expect(slim.map((s) => s.record)).toEqual(batch.map((b) => ({ phone: b.fields[1] })));
  });
});
