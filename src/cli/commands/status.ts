import { existsSync } from 'node:fs';
import { InputError } from '../../core/errors.js';
import { optOutsPath, readOptOutList } from '../../core/contacts/optouts.js';
import { summariseJournal } from '../../core/journal/reader.js';
import { meaningOf, type ProviderName } from '../../core/providers/index.js';
import { count, colourFor, shown } from '../output.js';
import { healthJson, healthLine, healthOfEvent } from '../../core/campaign/health.js';

/** `campaign status <journal>`: progress and outcome from the journal alone (it never contacts a provider). */
export async function runStatus(journalPath: string, flags: Record<string, unknown>): Promise<number> {
  if (!existsSync(journalPath)) throw new InputError('no such journal.', { file: journalPath, hint: 'Give the .jsonl file that `campaign send` wrote.' });
  // The same opt-out list as `campaign report`, so that both say the same opted_out.
  const optOutList = (await readOptOutList(optOutsPath(process.cwd()), { missing: 'empty' })).numbers;
  const s = await summariseJournal(journalPath, { optOutList });
  const failed = s.failed + s.failedRetryable;
  const remaining = s.pending;
  const failures = [...s.failuresByCode.entries()].sort((a, b) => b[1] - a[1]).map(([code, count]) => ({ code, count, meaning: meaningOf(s.header.provider as ProviderName, code) }));
  // A halt or pause that a later run resumed from is history, not the campaign's state.
  const halt = s.halt ?? null;
  const pause = s.pause ?? null;
  const status = {
    campaign: s.header.campaign,
    provider: s.header.provider,
    contacts: s.header.contacts.path,
    template: s.header.template?.path ?? null,
    selected: s.selected,
    sent: s.sent,
    delivered: s.delivered,
    read: s.read,
    failed,
    failed_permanent: s.failed,
    failed_retryable: s.failedRetryable,
    uncertain: s.uncertain,
    skipped: s.skipped,
    opted_out: s.optedOut,
    remaining,
    attempts: s.attempts,
    halt: halt ? halt.reason : null,
    paused: pause ? { reason: pause.reason, until: pause.until ?? null } : null,
    failures,
    first_at: s.firstAt ?? null,
    last_at: s.lastAt ?? null,
    complete: remaining === 0 && s.uncertain === 0 && !pause,
    // What the sender's health read said before the latest run (issue 12).
    health: s.health ? healthJson(s.health) : null,
  };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  } else {
    const c = colourFor(process.stdout, process.env, flags.color === false);
    const lines = [
      c.bold(`Campaign ${status.campaign}`) + c.dim(` (${status.provider})`),
      `  selected   ${count(s.selected)}`,
      `  sent       ${c.green(count(s.sent))}`,
      `  failed     ${failed ? c.red(String(failed)) : '0'}${s.failedRetryable ? ` (${s.failedRetryable} will be retried on resume)` : ''}`,
      `  uncertain  ${s.uncertain ? c.yellow(String(s.uncertain)) : '0'}${s.uncertain ? ' (outcome unknown; resend only with --resend-uncertain)' : ''}`,
      `  skipped    ${s.skipped}`,
      `  remaining  ${remaining}`,
    ];
    if (s.health) lines.push(`  sender     ${shown(healthLine(healthOfEvent(s.health)))}${s.health.ignored ? c.red(' (sent with --ignore-health)') : ''}`);
    if (halt) lines.push(c.red(`  halted     ${halt.reason}${halt.code ? ` (code ${halt.code})` : ''}`));
    if (pause) lines.push(c.yellow(`  paused     ${pause.reason}${pause.until ? ` until ${new Date(pause.until).toLocaleString()}` : ''} (resumable)`));
    for (const f of failures.slice(0, 10)) lines.push(`  ${String(f.count).padStart(6)} × ${f.code}: ${f.meaning}`);
    if (!status.complete) lines.push(`Continue with: campaign resume ${journalPath}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}
