import { Command, InvalidArgumentError, Option } from 'commander';
import { createRequire } from 'node:module';
import { firstIssue, type OptionSpec } from '../core/config/options.js';
import { UsageError } from '../core/errors.js';
import { COMMANDS, type CommandName, type CommandSpec, type ParsedCommand } from './options.js';

const require = createRequire(import.meta.url);
export const VERSION: string = (require('../../package.json') as { version: string }).version;

/** commander's Option for one row of a table; the value is parsed by the row's schema. */
function toOption(spec: OptionSpec & { flag: string }): Option {
  const shown = typeof spec.default === 'number' || typeof spec.default === 'string' ? ` (default ${spec.default})` : '';
  const option = new Option(spec.flag, `${spec.help}${shown}`);
  if (spec.hidden) option.hideHelp();
  const schema = spec.value;
  if (schema) {
    const name = spec.flag.split(/[ ,]/)[0];
    option.argParser((raw: string, previous: unknown) => {
      const parsed = schema.safeParse(raw);
      if (!parsed.success) throw new InvalidArgumentError(`${name} ${firstIssue(parsed.error)}.`);
      return spec.list ? [...((previous as unknown[] | undefined) ?? []), parsed.data] : parsed.data;
    });
  }
  // No defaults, ever: a value commander made up would win over campaign.yaml (np's rule).
  return option;
}

const withFlag = (specs: readonly OptionSpec[]) => specs.filter((s): s is OptionSpec & { flag: string } => Boolean(s.flag));

/** Only what was typed: commander's own values (`--no-color` implies color: true) are left out. */
function given(cmd: Command, specs: readonly OptionSpec[]): Record<string, unknown> {
  const values = cmd.opts();
  const out: Record<string, unknown> = {};
  for (const spec of withFlag(specs)) {
    const name = new Option(spec.flag).attributeName();
    if (cmd.getOptionValueSource(name) === 'cli') out[spec.key] = values[name];
  }
  return out;
}

function refusals(cmd: Command, spec: CommandSpec): void {
  if (!spec.refused) return;
  const typed = withFlag(spec.refused.options).filter((s) => cmd.getOptionValueSource(new Option(s.flag).attributeName()) === 'cli');
  if (typed.length) {
    const names = typed.map((s) => s.flag.split(' ')[0]).join(', ');
    throw new UsageError(`${names}: ${spec.refused.reason}.`, { hint: 'Run the same resume without it.' });
  }
}

/**
 * The command line, built from the option tables. `onCommand` gets what was asked for; main.ts
 * runs it, tests capture it. Nothing here has a side effect beyond commander's own output.
 */
export function buildProgram(onCommand: (parsed: ParsedCommand) => void | Promise<void>): Command {
  const program = new Command('campaign')
    .description('Send WhatsApp campaigns the way WhatsApp allows them: consented contacts, linted templates, official providers.')
    .version(VERSION)
    .exitOverride()
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      `
Examples:
  $ campaign lint contacts.csv --template message.md --default-country ES
  $ campaign send contacts.csv               # with campaign.yaml beside it
  $ campaign resume contacts.journal.jsonl
  $ campaign status contacts.journal.jsonl --json`,
    );

  for (const [name, spec] of Object.entries(COMMANDS) as [CommandName, CommandSpec][]) {
    const cmd = program.command(name).description(spec.description);
    for (const arg of spec.args) cmd.argument(arg.name, arg.help);
    for (const opt of withFlag(spec.options)) cmd.addOption(toOption(opt));
    // Refused whatever their value, so the value is not checked.
    for (const opt of withFlag(spec.refused?.options ?? [])) cmd.addOption(toOption({ ...opt, value: undefined, hidden: true }));
    cmd.action((...params: unknown[]) => {
      refusals(cmd, spec);
      const args = params.slice(0, spec.args.length) as string[];
      return onCommand({ command: name, args, options: given(cmd, spec.options) } as ParsedCommand);
    });
  }
  return program;
}

/**
 * argv (without node and the script) → what would run, without running it. Throws commander's
 * error for bad usage (already printed through `output`) or a UsageError.
 */
export function parseArgv(argv: string[], output?: { writeOut?: (s: string) => void; writeErr?: (s: string) => void }): ParsedCommand {
  let parsed: ParsedCommand | undefined;
  const program = buildProgram((p) => {
    parsed = p;
  });
  if (output) {
    program.configureOutput(output);
    for (const cmd of program.commands) cmd.configureOutput(output);
  }
  program.parse(argv, { from: 'user' });
  if (!parsed) throw new UsageError('no command given.', { hint: 'Run `campaign --help` for the list.' });
  return parsed;
}
