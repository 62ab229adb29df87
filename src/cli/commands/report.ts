import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../core/errors.js';
import { buildReport, renderHtml } from '../../core/report/index.js';
import { optOutsPath } from '../../core/contacts/optouts.js';
import { loadEnv } from '../../core/config/load.js';
import { openStateStore } from '../../core/store/state.js';
import { recordedHealthLine } from '../../core/campaign/health.js';
import { colourFor, shown } from '../output.js';
import { display } from './shared.js';

/** `campaign report <journal>`: the funnel, failures by code, sends over time; `--html` and `--json`. */
export async function runReport(journalPath: string, flags: Record<string, unknown>): Promise<number> {
  if (!existsSync(journalPath)) throw new InputError('no such journal.', { file: journalPath, hint: 'Give the .jsonl file that `campaign send` wrote.' });
  // With a shared store, who opted out is there (the webhook writes it), not in .campaign/.
  const store = (flags.store as string | undefined) ?? loadEnv(process.cwd()).CAMPAIGN_STORE;
  const optouts = store ? (await (await openStateStore({ store }, process.cwd(), loadEnv(process.cwd()))).readOptOuts()).numbers : undefined;
  const report = await buildReport(journalPath, optouts ? { optouts } : { optoutsFile: optOutsPath(process.cwd()) });
  if (flags.html) {
    const file = path.resolve(String(flags.html));
    await writeFile(file, renderHtml(report, { source: display(journalPath) }));
    process.stderr.write(`Report written to ${display(file)}\n`);
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  if (!flags.html) {
    const c = colourFor(process.stdout, process.env, flags.color === false);
    const pct = (n: number) => (report.selected ? ` (${Math.round((100 * n) / report.selected)}%)` : '');
    const lines = [
      c.bold(`Campaign ${report.campaign ?? '?'}`) + c.dim(` (${report.provider ?? '?'})`),
      `  selected   ${report.selected}`,
      `  sent       ${report.sent}${pct(report.sent)}`,
      `  delivered  ${report.delivered}${pct(report.delivered)}`,
      `  read       ${report.read}${pct(report.read)}`,
      `  failed     ${report.failed}`,
      `  uncertain  ${report.uncertain}`,
      `  skipped    ${report.skipped}`,
      `  opted out  ${report.opted_out}`,
    ];
    if (report.health) lines.push(`  sender     ${shown(recordedHealthLine(report.health))}`);
    if (report.halt) lines.push(c.red(`  halted     ${report.halt}`));
    for (const w of report.waves) lines.push(`  wave ${w.n}     ${w.size} recipients: ${w.delivered} delivered, ${w.failed} failed, ${w.opted_out} opted out · ${w.verdict ?? 'not judged'}`);
    for (const f of report.failures.slice(0, 10)) lines.push(`  ${String(f.count).padStart(6)} × ${f.code}: ${f.meaning}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}

