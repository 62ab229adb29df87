import { writeFileSync } from 'node:fs';
import type { JournalLine } from '../../../src/core/journal/format.js';

/** A realistic journal: `n` recipients sent over a few minutes, some delivered/read, some failures. */
export function sampleJournal(opts: { n?: number; halt?: string; start?: string } = {}): JournalLine[] {
  const n = opts.n ?? 240;
  const t0 = Date.parse(opts.start ?? '2025-03-05T09:00:00.000Z');
  const lines: JournalLine[] = [
    {
      type: 'header', version: 1, campaign: 'rally-madrid-2025', at: new Date(t0).toISOString(),
      contacts: { path: 'contacts.csv', sha256: 'a'.repeat(64) }, template: { path: 'invite.md', sha256: 'b'.repeat(64) },
      provider: 'cloud', options: { rate: 20, tz: 'Europe/Madrid' },
    },
  ];
  for (let i = 0; i < n; i++) {
    const to = `+346000${String(i).padStart(5, '0')}`;
    // ramp up, plateau, tail off across ~14 minutes
    const at = new Date(t0 + 5_000 + Math.floor(i * (i < 40 ? 6_000 : 2_800))).toISOString();
    lines.push({ type: 'attempt', to, at });
    if (i % 23 === 7) {
      lines.push({ type: 'failed', to, at, code: '131026', permanent: true });
    } else if (i % 41 === 3) {
      lines.push({ type: 'failed', to, at, code: '131050', permanent: true });
    } else if (i % 97 === 50) {
      lines.push({ type: 'failed', to, at, code: '131049', permanent: false });
    } else if (i === n - 1) {
      // attempt without outcome: uncertain
    } else {
      lines.push({ type: 'sent', to, at, id: `wamid.${i}` });
      if (i % 5 !== 0) lines.push({ type: 'status', to, at, id: `wamid.${i}`, status: 'delivered' });
      if (i % 3 === 0 && i % 5 !== 0) lines.push({ type: 'status', to, at, id: `wamid.${i}`, status: 'read' });
      if (i % 61 === 10) lines.push({ type: 'status', to, at, id: `wamid.${i}`, status: 'failed', code: 131047 });
    }
  }
  lines.push({ type: 'skipped', to: '+34699999001', at: new Date(t0 + 1000).toISOString(), reason: 'outside-window' });
  lines.push({ type: 'skipped', to: '+34699999002', at: new Date(t0 + 1000).toISOString(), reason: 'filtered_out' });
  if (opts.halt) lines.push({ type: 'halt', at: new Date(t0 + 900_000).toISOString(), reason: opts.halt, code: '131048' });
  return lines;
}

export function writeJournal(path: string, lines: JournalLine[], tail = ''): void {
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n' + tail);
}
