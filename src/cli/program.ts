import { Command, InvalidArgumentError, Option } from 'commander';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const VERSION: string = (require('../../package.json') as { version: string }).version;

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a whole number above 0.`);
    return n;
  };
}

function positiveNumber(name: string, min = Number.MIN_VALUE) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${name} must be a number, at least ${min === Number.MIN_VALUE ? 'above 0' : min}.`);
    return n;
  };
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Options shared by `lint` and `send`. No defaults here: campaign.yaml may set them (np's rule). */
function addContactOptions(cmd: Command): Command {
  return cmd
    .option('--template <file>', 'message template (Markdown with YAML front matter)')
    .option('--default-country <cc>', 'ISO country for numbers written without + (e.g. ES)')
    .option('--suppress <file>', 'opt-out / do-not-contact list; repeatable', collect)
    .option('--where <expr>', 'segment filter on a column, e.g. city=Madrid; repeatable, all must hold', collect)
    .option('--encoding <name>', 'text encoding of the CSV: utf-8 (default), windows-1252, latin1, utf-16le')
    .option('--phone-column <name>', 'the phone column, when its name is not recognised')
    .option('--consent-column <name>', 'the consent column, when its name is not recognised')
    .option('--consent-max-age <days>', 'consent older than this many days (from consent_at) counts as no consent')
    .option('--min-interval <duration>', 'skip recipients messaged by any campaign more recently than this (e.g. 7d)')
    .option('--provider <name>', 'sandbox (default), cloud, twilio or vonage')
    .option('--check-links', 'follow every link online and check where it really leads')
    .option('--check-template', 'compare the template with the approved one at the provider')
    .option('--json', 'machine-readable result on stdout')
    .option('--no-color', 'no colour in human output')
    .option('--debug', 'show stack traces');
}

function addSendOptions(cmd: Command): Command {
  return cmd
    .option('--rate <n>', 'messages per second, hard ceiling (default 20)', positiveNumber('--rate', 1))
    .option('--concurrency <n>', 'requests in flight at most (default 10)', positiveInt('--concurrency'))
    .option('--journal <file>', 'where the journal goes (default: beside the contacts file)')
    .option('--window <HH:MM-HH:MM>', 'only send inside this local time window')
    .option('--tz <zone>', 'time zone of --window (default: each number\'s own where unambiguous, else this machine\'s)')
    .option('--daily-limit <n>', 'at most N distinct recipients in any rolling 24 h, across runs', positiveInt('--daily-limit'))
    .option('--dry-run', 'render every message and write the plan, without any request')
    .option('--yes', 'do not ask for confirmation')
    .option('--resend-uncertain', 'send again to recipients whose outcome is unknown after a crash')
    .option('--max-retries <n>', 'retries of a transient provider error (default 5)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('--max-retries must be a whole number, 0 or more.');
      return n;
    })
    .option('--timeout <ms>', 'per-request timeout in milliseconds (default 15000)', positiveInt('--timeout'))
    .addOption(new Option('--sandbox-faults <spec>', 'sandbox only: inject faults, e.g. 429=0.05,reset=0.01,latency=20').hideHelp(false));
}

export function buildProgram(): Command {
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

  addContactOptions(
    program
      .command('lint')
      .description('check a contact list and a template before anything is sent (sends nothing)')
      .argument('<contacts>', 'contacts CSV'),
  ).action(async (contacts: string, opts: Record<string, unknown>) => {
    const { runLint } = await import('./commands/lint.js');
    process.exitCode = await runLint(contacts, opts);
  });

  addSendOptions(
    addContactOptions(
      program.command('send').description('lint, confirm and send, writing a resumable journal').argument('<contacts>', 'contacts CSV'),
    ),
  ).action(async (contacts: string, opts: Record<string, unknown>) => {
    const { runSend } = await import('./commands/send.js');
    process.exitCode = await runSend(contacts, opts);
  });

  program
    .command('resume')
    .description('continue an interrupted send from its journal')
    .argument('<journal>', 'journal file (.jsonl)')
    .option('--rate <n>', 'messages per second, hard ceiling', positiveNumber('--rate', 1))
    .option('--concurrency <n>', 'requests in flight at most', positiveInt('--concurrency'))
    .option('--resend-uncertain', 'send again to recipients whose outcome is unknown after a crash')
    .option('--daily-limit <n>', 'at most N distinct recipients in any rolling 24 h', positiveInt('--daily-limit'))
    .option('--window <HH:MM-HH:MM>', 'only send inside this local time window')
    .option('--tz <zone>', 'time zone of --window')
    .option('--dry-run', 'render every remaining message and write the plan, without any request')
    .option('--timeout <ms>', 'per-request timeout in milliseconds', positiveInt('--timeout'))
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'machine-readable result on stdout')
    .option('--no-color', 'no colour in human output')
    .option('--debug', 'show stack traces')
    .action(async (journal: string, opts: Record<string, unknown>) => {
      const { runResume } = await import('./commands/send.js');
      process.exitCode = await runResume(journal, opts);
    });

  program
    .command('status')
    .description('progress and outcome of a send, from its journal alone')
    .argument('<journal>', 'journal file (.jsonl)')
    .option('--json', 'machine-readable result on stdout')
    .option('--no-color', 'no colour in human output')
    .option('--debug', 'show stack traces')
    .action(async (journal: string, opts: Record<string, unknown>) => {
      const { runStatus } = await import('./commands/status.js');
      process.exitCode = await runStatus(journal, opts);
    });

  program
    .command('init')
    .description('interactive: write campaign.yaml and a template skeleton')
    .option('--debug', 'show stack traces')
    .action(async () => {
      const { runInit } = await import('./init.js');
      await runInit({ cwd: process.cwd(), stdinIsTTY: Boolean(process.stdin.isTTY) });
    });

  program
    .command('webhook')
    .description('receive provider status callbacks and opt-outs')
    .option('--port <n>', 'port (default 8787; 0 picks a free one)', (v) => Number(v))
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--journal <file>', 'journal to record statuses in; repeatable', collect)
    .option('--debug', 'show stack traces')
    .action(async (opts: Record<string, unknown>) => {
      const { runWebhook } = await import('./commands/webhook.js');
      process.exitCode = await runWebhook(opts);
    });

  program
    .command('report')
    .description('funnel, failures and timeline of a campaign')
    .argument('<journal>', 'journal file (.jsonl)')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--json', 'machine-readable result on stdout')
    .option('--no-color', 'no colour in human output')
    .option('--debug', 'show stack traces')
    .action(async (journal: string, opts: Record<string, unknown>) => {
      const { runReport } = await import('./commands/report.js');
      process.exitCode = await runReport(journal, opts);
    });

  return program;
}
