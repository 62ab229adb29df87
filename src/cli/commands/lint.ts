import { lint } from "../../core/lint/index.js";
import { ruleFix } from "../../core/lint/rules-catalog.js";
import { count, colourFor, FindingCollector, formatFindings, JsonFindingsStream, plural, shown } from '../output.js';
import { columnsReport } from '../../core/contacts/columns.js';
import { EXIT } from '../exit-codes.js';
import type { CommandOptions } from '../options.js';
import { display, resolveOptions } from './shared.js';

/** `campaign lint`: exit 0 without error-level findings, 1 with them (the contract's table). */
export async function runLint(contactsPath: string, flags: CommandOptions['lint']): Promise<number> {
  const json = Boolean(flags.json);
  const { options, env } = resolveOptions(flags);
  const collector = new FindingCollector(false);
  // --json streams findings as they are found: a million-row list never holds them all.
  const stream = json ? new JsonFindingsStream(process.stdout) : undefined;
  const result = await lint({
    contactsPath,
    options,
    env,
    cwd: process.cwd(),
    // People read paths relative to where they are; --json keeps them as the tool saw them.
    onFinding: stream ? (f) => stream.add(f) : (f) => collector.add({ ...f, message: f.message.split(`${process.cwd()}/`).join('') }),
  });

  if (stream) {
    stream.end({ columns: columnsReport(result.columns), contacts: result.contacts });
    return result.errors > 0 ? EXIT.FAILURES : EXIT.OK;
  }

  const c = colourFor(process.stderr, process.env, flags.color === false);
  const out: string[] = [];
  out.push(c.bold(`campaign lint ${display(contactsPath)}`) + (result.template ? c.dim(` with ${display(result.template.path)}`) : ''));
  // Which columns were read, first: a wrong guess (consent, phone) is the costliest mistake.
  out.push(
    c.dim(
      `  columns: ${Object.entries(columnsReport(result.columns))
        .map(([kind, v]) => `${kind.replace(/_/g, ' ')} ${(Array.isArray(v) ? v : [v]).map((h) => `"${shown(h)}"`).join(', ')}`)
        .join('; ')}`,
    ),
  );
  out.push(...formatFindings(collector, c, ruleFix));
  const k = result.contacts;
  out.push('');
  out.push(
    `${plural(k.rows, 'row')}: ${c.green(`${count(k.sendable)} sendable`)}, ` +
      [
        ['no consent', k.no_consent],
        ['invalid phone', k.invalid_phone],
        ['duplicate', k.duplicate],
        ['suppressed', k.suppressed],
        ['filtered out', k.filtered_out],
        ['missing variable', k.missing_variable],
        ...(k.already_messaged !== undefined ? [['already got this template', k.already_messaged]] : []),
        ...(k.recently_messaged !== undefined ? [['messaged recently', k.recently_messaged]] : []),
      ]
        .map(([label, n]) => `${n} ${label}`)
        .join(', ') +
      '.',
  );
  const errors = collector.count('error');
  const warnings = collector.count('warning');
  out.push(
    errors > 0
      ? c.red.bold(`${plural(errors, 'error')}, ${plural(warnings, 'warning')}: fix the errors before sending.`)
      : c.green.bold(`No errors${warnings ? `, ${plural(warnings, 'warning')}` : ''}.`),
  );
  process.stderr.write(`${out.join('\n')}\n`);
  return errors > 0 ? EXIT.FAILURES : EXIT.OK;
}
