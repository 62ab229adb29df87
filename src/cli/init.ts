/**
 * `campaign init`: a short interactive wizard that writes `campaign.yaml` (defaults for every
 * run in this directory) and `message.md` (a template skeleton with front matter). Refuses
 * without a TTY; never overwrites a file without asking (default No).
 */
import { writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { UsageError } from '../core/errors.js';

export interface InitPrompt {
  select(q: { message: string; choices: { name: string; value: string; description?: string }[]; default?: string }): Promise<string>;
  input(q: { message: string; default?: string; validate?: (value: string) => true | string }): Promise<string>;
  confirm(q: { message: string; default?: boolean }): Promise<boolean>;
}

export interface InitOptions {
  cwd: string;
  stdinIsTTY: boolean;
  /** Injected in tests; defaults to inquirer's prompts. */
  prompt?: InitPrompt;
  /** Human lines (stderr by default). */
  log?: (line: string) => void;
}

export interface InitAnswers {
  provider: 'sandbox' | 'cloud' | 'twilio' | 'vonage';
  rate: number;
  defaultCountry: string;
  window: string | null;
  tz: string;
  template: string;
  language: string;
  category: 'marketing' | 'utility' | 'authentication';
  contentSid: string | null;
  /** Canary waves (`ramp:`, `ramp_wait:`), offered for lists of a few thousand or more. */
  ramp: string | null;
  rampWait: string | null;
}

export interface InitResult {
  answers: InitAnswers;
  written: string[];
  kept: string[];
}

export const CONFIG_FILE = 'campaign.yaml';
export const TEMPLATE_FILE = 'message.md';

export async function runInit(opts: InitOptions): Promise<InitResult> {
  if (!opts.stdinIsTTY) {
    throw new UsageError('campaign init is interactive: run it in a terminal, or write campaign.yaml by hand (see README)');
  }
  const prompt = opts.prompt ?? (await inquirerPrompt());
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  const answers = await ask(prompt);
  const files: [string, string][] = [
    [CONFIG_FILE, configYaml(answers)],
    [TEMPLATE_FILE, templateMarkdown(answers)],
  ];
  const written: string[] = [];
  const kept: string[] = [];
  for (const [name, text] of files) {
    const path = join(opts.cwd, name);
    if (await exists(path)) {
      const overwrite = await prompt.confirm({ message: `${name} already exists. Overwrite it?`, default: false });
      if (!overwrite) {
        kept.push(path);
        log(`Kept the existing ${name}.`);
        continue;
      }
      await writeFile(path, text, 'utf8');
    } else {
      await writeFile(path, text, { encoding: 'utf8', flag: 'wx' });
    }
    written.push(path);
    log(`Wrote ${name}.`);
  }
  if (written.length > 0) {
    log('');
    log('Next:');
    log(`  1. Edit ${TEMPLATE_FILE} so its text and params match the template approved at the provider.`);
    if (answers.provider !== 'sandbox') log(`  2. Put the ${answers.provider} credentials in .env (see README: provider settings).`);
    log(`  ${answers.provider !== 'sandbox' ? 3 : 2}. Check your list: campaign lint contacts.csv`);
  }
  return { answers, written, kept };
}

async function ask(p: InitPrompt): Promise<InitAnswers> {
  const provider = (await p.select({
    message: 'Which provider sends the messages?',
    choices: [
      { name: 'sandbox: try everything, send nothing', value: 'sandbox' },
      { name: 'cloud: Meta WhatsApp Cloud API', value: 'cloud' },
      { name: 'twilio: Twilio WhatsApp', value: 'twilio' },
      { name: 'vonage: Vonage Messages API', value: 'vonage' },
    ],
    default: 'sandbox',
  })) as InitAnswers['provider'];

  const rateNote = provider === 'cloud' ? ' (the Cloud API allows 80 per phone number; 20 is a safe start)' : '';
  const rate = Number(await p.input({
    message: `Messages per second at most${rateNote}`,
    default: '20',
    validate: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 1000 ? true : 'A whole number from 1 to 1000.'),
  }));

  const defaultCountry = (await p.input({
    message: 'Country for numbers written without + (ISO code)',
    default: 'ES',
    validate: (v) => (/^[A-Za-z]{2}$/.test(v.trim()) ? true : 'Two letters, e.g. ES, MX, AR, CO.'),
  })).trim().toUpperCase();

  const windowRaw = (await p.input({
    message: 'Send only between (HH:MM-HH:MM; empty for any time)',
    default: '09:00-21:00',
    validate: (v) => (v.trim() === '' || validWindow(v.trim()) ? true : 'Like 09:00-21:00, or empty.'),
  })).trim();

  const tz = (await p.input({
    message: 'Time zone of that window',
    default: 'Europe/Madrid',
    validate: (v) => (validZone(v.trim()) ? true : 'An IANA time zone, e.g. Europe/Madrid, America/Mexico_City.'),
  })).trim();

  const template = (await p.input({
    message: "Approved template's name at the provider",
    default: 'my_campaign',
    validate: (v) => (/^[a-z0-9_]{1,512}$/.test(v.trim()) ? true : 'Lower-case letters, digits and _ only, as WhatsApp names templates.'),
  })).trim();

  const language = (await p.input({
    message: "Template's language code, exactly as approved",
    default: 'es',
    validate: (v) => (/^[a-z]{2,3}([_-][A-Za-z]{2,4})?$/.test(v.trim()) ? true : 'Like es, es_ES, es_MX, en_US.'),
  })).trim();

  const category = (await p.select({
    message: "Template's category",
    choices: [
      { name: 'marketing: promotions, invitations, news', value: 'marketing' },
      { name: 'utility: about something the person asked for or did', value: 'utility' },
      { name: 'authentication: one-time codes', value: 'authentication' },
    ],
    default: 'marketing',
  })) as InitAnswers['category'];

  let contentSid: string | null = null;
  if (provider === 'twilio') {
    contentSid = (await p.input({
      message: "Twilio Content SID (HX…), or the environment variable holding it",
      default: 'TWILIO_CONTENT_SID',
      validate: (v) => (/^(HX[0-9a-fA-F]{32}|[A-Z_][A-Z0-9_]*)$/.test(v.trim()) ? true : 'HX followed by 32 hex digits, or a variable name like TWILIO_CONTENT_SID.'),
    })).trim();
  }

  // A ban comes from how the first recipients react: past a couple of thousand, send a canary first.
  let ramp: string | null = null;
  let rampWait: string | null = null;
  const size = await p.select({
    message: 'How many recipients will a campaign have, roughly?',
    choices: [
      { name: 'fewer than 2,000', value: 'small' },
      { name: '2,000 or more', value: 'large' },
    ],
    default: 'small',
  });
  if (size === 'large') {
    const plan = await p.select({
      message: 'Send in canary waves, each judged by its delivery and opt-out callbacks before the next?',
      choices: [
        { name: '500, then 5,000, then the rest (recommended)', value: '500,5000,all' },
        { name: '1%, then 10%, then the rest', value: '1%,10%,all' },
        { name: 'no waves: everyone at once', value: 'none' },
      ],
      default: '500,5000,all',
    });
    if (plan !== 'none') {
      ramp = plan;
      rampWait = (await p.input({
        message: 'How long to watch each wave before the next (needs `campaign webhook` receiving callbacks)',
        default: '15m',
        validate: (v) => (/^\s*\d+(?:\.\d+)?\s*(ms|s|m|h|d|w)\s*$/i.test(v) ? true : 'A number and a unit, e.g. 15m or 1h.'),
      })).trim();
    }
  }

  return { provider, rate, defaultCountry, window: windowRaw === '' ? null : windowRaw, tz, template, language, category, contentSid, ramp, rampWait };
}

/** `key: value` with its comment aligned in one column. */
function kv(key: string, value: unknown, comment?: string): string {
  const text = `${key}: ${typeof value === 'string' && /^\[.*\]$/.test(value) ? value : YAML.stringify(value).trimEnd()}`;
  return comment ? `${text.padEnd(30)} # ${comment}` : text;
}

function configYaml(a: InitAnswers): string {
  return [
    '# campaign defaults for this directory: every key is also a flag, and flags win.',
    kv('provider', a.provider, 'sandbox | cloud | twilio | vonage'),
    kv('template', TEMPLATE_FILE, 'the message template'),
    kv('rate', a.rate, 'messages per second, hard ceiling'),
    kv('default-country', a.defaultCountry, 'for numbers written without +'),
    a.window ? kv('window', a.window, 'only send inside this local time window') : `${'# window: 09:00-21:00'.padEnd(30)} # only send inside this local time window`,
    kv('tz', a.tz, "the window's time zone"),
    `${'# suppress: [do-not-contact.csv]'.padEnd(30)} # more opt-out lists; .campaign/optouts.txt is always read`,
    ...(a.ramp
      ? [kv('ramp', a.ramp, 'canary waves, cumulative; each judged by its callbacks'), kv('ramp_wait', a.rampWait ?? '15m', 'how long each wave is watched')]
      : [`${'# ramp: 500,5000,all'.padEnd(30)} # canary waves for large lists (README: Canary waves)`]),
    '',
  ].join('\n');
}

function templateMarkdown(a: InitAnswers): string {
  const lines = [
    '---',
    kv('template', a.template, "the approved template's name at the provider"),
    kv('language', a.language, 'its language code, exactly as approved'),
    kv('category', a.category, 'marketing | utility | authentication'),
    kv('params', '[first_name]', "CSV columns for the approved body's parameters, in order"),
  ];
  if (a.contentSid) lines.push(kv('content_sid', a.contentSid, 'Twilio Content SID (HX...), or the variable holding it'));
  lines.push(
    '# Declare every link the body contains and what it leads to, so lint can check',
    '# the text, the declaration and where the link really goes. For example:',
    '#   links:',
    '#     - url: https://www.youtube.com/watch?v=abc123',
    '#       kind: video            # video | pdf | page | form | image | audio',
    'links: []',
    '---',
    'Hola {{first_name}}, ¡gracias por estar ahí! Te escribimos para contarte las novedades de la campaña.',
    '',
  );
  return lines.join('\n');
}

function validWindow(w: string): boolean {
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(w);
  return !!m && `${m[1]}:${m[2]}` !== `${m[3]}:${m[4]}`;
}

function validZone(tz: string): boolean {
  if (!tz) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The real prompts, through inquirer (Ctrl+C rejects with inquirer's ExitPromptError). */
async function inquirerPrompt(): Promise<InitPrompt> {
  const { default: inquirer } = await import('inquirer');
  // inquirer's question types are a deep generic maze; the three shapes used here are plain.
  const one = async <T>(question: Record<string, unknown>): Promise<T> => {
    const answers = (await (inquirer.prompt as unknown as (q: unknown[]) => Promise<Record<string, unknown>>)([{ ...question, name: 'value' }]));
    return answers.value as T;
  };
  return {
    select: (q) => one<string>({ type: 'select', message: q.message, choices: q.choices, default: q.default }),
    input: (q) => one<string>({ type: 'input', message: q.message, default: q.default, validate: q.validate }),
    confirm: (q) => one<boolean>({ type: 'confirm', message: q.message, default: q.default ?? false }),
  };
}
