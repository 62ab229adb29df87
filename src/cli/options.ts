import { z } from 'zod';
import {
  CHECK_OPTIONS,
  JOURNAL_OPTION,
  RUN_OPTIONS,
  SELECTION_OPTIONS,
  type OptionSpec,
} from '../core/config/options.js';

/** Options of the output, not of the campaign: campaign.yaml never sets them. */
const JSON_OPTION = { key: 'json', flag: '--json', help: 'machine-readable result on stdout', file: false } as OptionSpec<'json', boolean>;
const COLOR_OPTION = { key: 'color', flag: '--no-color', help: 'no colour in human output', file: false } as OptionSpec<'color', boolean>;
const DEBUG_OPTION = { key: 'debug', flag: '--debug', help: 'show stack traces', file: false } as OptionSpec<'debug', boolean>;
const OUTPUT = [JSON_OPTION, COLOR_OPTION, DEBUG_OPTION] as const;

export interface CommandSpec {
  description: string;
  /** Positional arguments, commander syntax: `<contacts>`. */
  args: readonly { name: string; help: string }[];
  options: readonly OptionSpec[];
  /**
   * Options the command knows but refuses, with the sentence that says why: `resume` runs with the
   * selection its journal recorded. Declared (hidden) so the user hears why, not "unknown option".
   */
  refused?: { options: readonly OptionSpec[]; reason: string };
}

/** --store (also CAMPAIGN_STORE, `store:`): declared once among the run options, shared by every command that reads or writes shared state. */
const STORE_OPTION = RUN_OPTIONS.find((o) => o.key === 'store') as OptionSpec<'store', string>;
const DEFAULT_COUNTRY_OPTION = SELECTION_OPTIONS.find((o) => o.key === 'defaultCountry') as OptionSpec<'defaultCountry', string>;

const CONTACTS = [{ name: '<contacts>', help: 'contacts CSV' }] as const;
const JOURNAL = [{ name: '<journal>', help: 'journal file (.jsonl)' }] as const;

const LINT_OPTIONS = [...SELECTION_OPTIONS, ...CHECK_OPTIONS, STORE_OPTION, ...OUTPUT] as const;
const SEND_OPTIONS = [...SELECTION_OPTIONS, ...CHECK_OPTIONS, JOURNAL_OPTION, ...RUN_OPTIONS, ...OUTPUT] as const;
/** Everything of send's that paces or steers the run; the journal is the argument. */
const RESUME_OPTIONS = [...CHECK_OPTIONS, ...RUN_OPTIONS, ...OUTPUT] as const;
const STATUS_OPTIONS = OUTPUT;
const PROVIDER_OPTION = SELECTION_OPTIONS.find((o) => o.key === 'provider') as OptionSpec<'provider', string>;
const ACCOUNT_OPTIONS = [PROVIDER_OPTION, ...RUN_OPTIONS.filter((o) => o.key === 'timeoutMs' || o.key === 'sandboxFaults'), ...OUTPUT] as const;
const INIT_OPTIONS = [DEBUG_OPTION] as const;
const WEBHOOK_OPTIONS = [
  { key: 'port', flag: '--port <n>', help: 'port (default 8787; 0 picks a free one)', value: z.coerce.number({ error: 'must be a port number' }).int('must be a port number').min(0).max(65535, 'must be a port number') } as OptionSpec<'port', number>,
  { key: 'host', flag: '--host <host>', help: 'address to listen on (default 127.0.0.1)', value: z.string() } as OptionSpec<'host', string>,
  { key: 'journal', flag: '--journal <file>', help: 'journal to record statuses in; repeatable', value: z.string(), list: true } as OptionSpec<'journal', string[]>,
  STORE_OPTION,
  DEBUG_OPTION,
] as const;
const REPORT_OPTIONS = [
  { key: 'html', flag: '--html <file>', help: 'write a self-contained HTML report', value: z.string() } as OptionSpec<'html', string>,
  STORE_OPTION,
  ...OUTPUT,
] as const;

export const RESUME_REFUSAL = "resume runs with the journal's selection; start a new send to change it";

/** The commands, in --help order. */
export const COMMANDS = {
  lint: { description: 'check a contact list and a template before anything is sent (sends nothing)', args: CONTACTS, options: LINT_OPTIONS },
  send: { description: 'lint, confirm and send, writing a resumable journal', args: CONTACTS, options: SEND_OPTIONS },
  resume: {
    description: 'continue an interrupted send from its journal, with its contacts, template and selection',
    args: JOURNAL,
    options: RESUME_OPTIONS,
    refused: { options: SELECTION_OPTIONS, reason: RESUME_REFUSAL },
  },
  status: { description: 'progress and outcome of a send, from its journal alone', args: JOURNAL, options: STATUS_OPTIONS },
  account: { description: "the sender's health (quality, status, messaging limit, throughput) and the templates' status", args: [], options: ACCOUNT_OPTIONS },
  init: { description: 'interactive: write campaign.yaml and a template skeleton', args: [], options: INIT_OPTIONS },
  webhook: { description: 'receive provider status callbacks and opt-outs', args: [], options: WEBHOOK_OPTIONS },
  report: { description: 'funnel, failures and timeline of a campaign', args: JOURNAL, options: REPORT_OPTIONS },
  optout: {
    description: 'add, list or remove opt-outs by hand (in the --store, else .campaign/optouts.txt)',
    args: [{ name: '<action>', help: 'add, list or remove' }, { name: '[numbers...]', help: 'phone numbers, in any format' }],
    options: [STORE_OPTION, DEFAULT_COUNTRY_OPTION, ...OUTPUT],
  },
  store: {
    description: "import .campaign/ opt-outs and history into the --store, or export the store's back out",
    args: [{ name: '<action>', help: 'import or export' }],
    options: [STORE_OPTION, DEFAULT_COUNTRY_OPTION, ...OUTPUT],
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

type ValueOf<S> = S extends OptionSpec<string, infer V> ? V : never;
/** The typed options object of one command's table: every key optional (only flags given are present). */
export type OptionsOf<T extends readonly OptionSpec[]> = { [S in T[number] as S['key']]?: ValueOf<S> };

export type CommandOptions = { [C in CommandName]: OptionsOf<(typeof COMMANDS)[C]['options']> };

/** What the command line asks for, before anything runs. */
export type ParsedCommand = { [C in CommandName]: { command: C; args: string[]; options: CommandOptions[C] } }[CommandName];
