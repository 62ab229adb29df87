import { existsSync } from 'node:fs';
import { InputError } from '../../core/errors.js';
import { standingHalt, summariseJournal } from '../../core/journal/reader.js';
import { meaningOf, type ProviderName } from '../../core/providers/index.js';
import { count, colourFor } from '../output.js';

/** `campaign status <journal>`: progress and outcome from the journal alone (it never contacts a provider). */
export async function runStatus(journalPath: string, flags: Record<string, unknown>): Promise<number> {
  if (!existsSync(journalPath)) throw new InputError('no such journal.', { file: journalPath, hint: 'Give the .jsonl file that `campaign send` wrote.' });
  const s = await summariseJournal(journalPath);
  const counts = (s.header.options as { counts?: Record<string, number> }).counts;
  const selected = counts?.sendable ?? s.recipients;
  const failed = s.failed + s.failedRetryable;
  const done = s.sent + s.failed + s.uncertain;
  const remaining = Math.max(0, selected - done - s.failedRetryable);
  const failures = [...s.failuresByCode.entries()].sort((a, b) => b[1] - a[1]).map(([code, count]) => ({ code, count, meaning: meaningOf(s.header.provider as ProviderName, code) }));
  // A halt that a later run resumed from is history, not the campaign's state.
  const halt = standingHalt(s) ?? null;
  const status = {
    campaign: s.header.campaign,
    provider: s.header.provider,
    contacts: s.header.contacts.path,
    template: s.header.template?.path ?? null,
    selected,
    sent: s.sent,
    failed,
    failed_permanent: s.failed,
    failed_retryable: s.failedRetryable,
    uncertain: s.uncertain,
    skipped: s.skipped,
    opted_out: s.optedOut,
    remaining,
    attempts: s.attempts,
    halt: halt ? halt.reason : null,
    failures,
    first_at: s.firstAt ?? null,
    last_at: s.lastAt ?? null,
    complete: remaining === 0 && s.uncertain === 0,
  };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  } else {
    const c = colourFor(process.stdout, process.env, flags.color === false);
    const lines = [
      c.bold(`Campaign ${status.campaign}`) + c.dim(` (${status.provider})`),
      `  selected   ${count(selected)}`,
      `  sent       ${c.green(count(s.sent))}`,
      `  failed     ${failed ? c.red(String(failed)) : '0'}${s.failedRetryable ? ` (${s.failedRetryable} will be retried on resume)` : ''}`,
      `  uncertain  ${s.uncertain ? c.yellow(String(s.uncertain)) : '0'}${s.uncertain ? ' (outcome unknown; resend only with --resend-uncertain)' : ''}`,
      `  skipped    ${s.skipped}`,
      `  remaining  ${remaining}`,
    ];
    if (halt) lines.push(c.red(`  halted     ${halt.reason}${halt.code ? ` (code ${halt.code})` : ''}`));
    for (const f of failures.slice(0, 10)) lines.push(`  ${String(f.count).padStart(6)} × ${f.code}: ${f.meaning}`);
    if (!status.complete) lines.push(`Continue with: campaign resume ${journalPath}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}
