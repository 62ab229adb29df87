/**
 * Writes a contacts CSV and an approved-template message into a directory, and says which
 * recipients (E.164) are sendable, so tests can compare what a server received with what
 * should have been sent.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Contacts {
  csv: string;
  template: string;
  /** Sendable recipients, E.164, in file order. */
  sendable: string[];
  /** Rows of each kind, besides sendable. */
  noConsent: string[];
  rows: number;
}

export const TEMPLATE = `---
template: e2e_invite
language: es
category: utility
params: [name, city]
---
Hola {{name}}, te esperamos en {{city}}.
`;

/** The i-th test number: valid Spanish mobiles +34 612 xxx xxx. */
export function phoneOf(i: number): string {
  return `+34612${String(i).padStart(6, '0')}`;
}

/**
 * `n` sendable rows, plus (unless `extras: false`) one row without consent, one with an
 * invalid number and one duplicate of the first number.
 */
export function makeContacts(dir: string, n: number, opts: { extras?: boolean; name?: string } = {}): Contacts {
  const rows = ['name,phone,consent,city'];
  const sendable: string[] = [];
  for (let i = 0; i < n; i++) {
    rows.push(`Name${i},${phoneOf(i)},yes,City${i % 7}`);
    sendable.push(phoneOf(i));
  }
  const noConsent: string[] = [];
  if (opts.extras !== false) {
    rows.push(`NoConsent,${phoneOf(900_001)},no,Madrid`);
    noConsent.push(phoneOf(900_001));
    rows.push('BadPhone,12,yes,Madrid');
    rows.push(`Dup,${phoneOf(0)},yes,Madrid`);
  }
  const csv = path.join(dir, `${opts.name ?? 'contacts'}.csv`);
  writeFileSync(csv, `${rows.join('\n')}\n`);
  const template = path.join(dir, 'message.md');
  writeFileSync(template, TEMPLATE);
  return { csv, template, sendable, noConsent, rows: rows.length - 1 };
}
