import { z } from 'zod';

/**
 * The one declaration of every option: its flag, help, how a value is parsed, and where else it
 * may come from (campaign.yaml key, environment variable). The CLI builds commander's options
 * from it (src/cli/options.ts) and load.ts builds the campaign.yaml schema from it, so a flag and
 * its file key can never parse differently. Plain data: no commander here (the core stays off the
 * terminal).
 */
export interface OptionSpec<K extends string = string, V = unknown> {
  /** Name in the options object (a CampaignOptions key for the options campaign.yaml may set). */
  key: K;
  /** commander's flag syntax: `--rate <n>`, `--dry-run`, `--no-color`. Absent: only campaign.yaml sets it. */
  flag?: string;
  help?: string;
  /** Parses one value, a flag's string or a file's value. Absent: a switch (boolean). */
  value?: z.ZodType;
  /** A repeatable flag collecting its values; the file may give one value or a list. */
  list?: boolean;
  /** campaign.yaml: a schema when it differs from `value`, or false when the file may not set it. */
  file?: z.ZodType | false;
  /** Environment variable (also read from .env) that sets it, between campaign.yaml and the flag. */
  env?: string;
  /** Paths are resolved against the working directory (flag) or the file's folder (campaign.yaml). */
  path?: boolean;
  /** The value when no layer sets it; --help shows a number's or a name's. */
  default?: V;
  /** Declared but not listed in --help. */
  hidden?: boolean;
  /** Phantom: the value's type, for the typed options object. */
  readonly _value?: V;
}

export const PROVIDERS = ['sandbox', 'cloud', 'twilio', 'vonage'] as const;

const number = (min: number, what: string) => z.coerce.number({ error: 'must be a number' }).min(min, `must be ${what}`);
const whole = (min: number, what: string) => z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(min, `must be ${what}`);
const text = z.string();
const duration = z.union([z.string(), z.number()]).transform(String);
/** `1%`, `0.5%` (or a number of percent in campaign.yaml) → percent. */
const percent = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const m = typeof v === 'number' ? [String(v), String(v)] : /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    ctx.addIssue({ code: 'custom', message: 'must be a percentage such as 1% (0% to 100%)' });
    return z.NEVER;
  }
  return n;
});
/** `--ramp 500,5000,all`: a string, or a list in campaign.yaml; parsed strictly by campaign/ramp.ts. */
const rampList = z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))]).transform((v) => (Array.isArray(v) ? v.join(',') : String(v)));
const stringList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

function value<const K extends string, V>(key: K, flag: string, help: string, schema: z.ZodType<V, any>, extra: Omit<Partial<OptionSpec<K, V>>, 'key' | '_value'> = {}): OptionSpec<K, V> {
  return { key, flag, help, value: schema, ...extra };
}
function list<const K extends string>(key: K, flag: string, help: string, extra: Omit<Partial<OptionSpec<K, string[]>>, 'key' | '_value'> = {}): OptionSpec<K, string[]> {
  return { key, flag, help, value: text, list: true, file: stringList, default: [], ...extra };
}
function toggle<const K extends string>(key: K, flag: string, help: string, extra: Omit<Partial<OptionSpec<K, boolean>>, 'key' | '_value'> = {}): OptionSpec<K, boolean> {
  return { key, flag, help, file: false, default: false, ...extra };
}

/**
 * What decides WHO is messaged and with what. A journal's header records these, so `resume`
 * refuses them (src/cli/options.ts): changing them mid-campaign would be a different campaign.
 */
export const SELECTION_OPTIONS = [
  value('template', '--template <file>', 'message template (Markdown with YAML front matter)', text, { path: true }),
  value('defaultCountry', '--default-country <cc>', 'ISO country for numbers written without + (e.g. ES)', text.regex(/^[A-Za-z]{2}$/, 'must be a two-letter ISO country code such as ES')),
  list('suppress', '--suppress <file>', 'opt-out / do-not-contact list; repeatable', { path: true }),
  list('where', '--where <expr>', 'segment filter on a column, e.g. city=Madrid; repeatable, all must hold', {
    file: z.union([stringList, z.record(z.string(), z.union([z.string(), z.number()]))]).transform((v) =>
      Array.isArray(v) ? v : Object.entries(v).map(([k, val]) => `${k}=${val}`),
    ),
  }),
  value('encoding', '--encoding <name>', 'text encoding of the CSV: utf-8 (default), windows-1252, latin1, utf-16le, utf-16be', text),
  value('phoneColumn', '--phone-column <name>', 'the phone column, when its name is not recognised', text),
  value('consentColumn', '--consent-column <name>', 'the consent column, when its name is not recognised', text),
  list('consentYes', '--consent-yes <value>', 'an answer in the consent column that means yes (e.g. "Sí, quiero"); repeatable'),
  toggle('international', '--international', 'numbers written without + start with their country code (WhatsApp IDs, CRM exports)', { file: z.boolean() }),
  value('headerLine', '--header-line <n>', 'the line of the header row, when a title or blank rows come first', whole(1, 'a line number, 1 or more')),
  value('consentMaxAge', '--consent-max-age <days>', 'consent older than this many days (from consent_at) counts as no consent', duration),
  value('minInterval', '--min-interval <duration>', 'skip recipients messaged by any campaign more recently than this (e.g. 7d)', duration),
  value('repeatAfter', '--repeat-after <duration>', 'skip recipients this sender already sent this template to within this time', duration, { default: '7d' }),
  // One run's decision, never a standing setting: campaign.yaml cannot turn the guard off.
  toggle('allowRepeat', '--allow-repeat', 'send even to recipients who already got this template from this sender within --repeat-after'),
  value('provider', '--provider <name>', 'sandbox, cloud, twilio or vonage', z.enum(PROVIDERS, { error: `must be one of ${PROVIDERS.join(', ')}` }), { default: 'sandbox' }),
] as const;

/** Online checks before anything is sent. */
export const CHECK_OPTIONS = [
  toggle('checkLinks', '--check-links', 'follow every link online and check where it really leads', { file: z.boolean() }),
  toggle('checkTemplate', '--check-template', 'compare the template with the approved one at the provider', { file: z.boolean() }),
] as const;

export const JOURNAL_OPTION = value('journal', '--journal <file>', 'where the journal goes (default: beside the contacts file)', text, { path: true });

/** What paces and steers a send without changing who is in it: `resume` takes these too. */
export const RUN_OPTIONS = [
  value('rate', '--rate <n>', 'messages per second, hard ceiling', number(1, 'at least 1 message per second'), { default: 20 }),
  value('concurrency', '--concurrency <n>', 'requests in flight at most', whole(1, 'above 0'), { default: 10 }),
  value('window', '--window <HH:MM-HH:MM>', 'only send inside this local time window', text),
  value('tz', '--tz <zone>', "time zone of --window (default: each number's own where unambiguous, else this machine's)", text),
  value('dailyLimit', '--daily-limit <n>', 'at most N distinct recipients in any rolling 24 h, across runs', whole(1, 'above 0')),
  toggle('dryRun', '--dry-run', 'render every message and write the plan, without any request'),
  toggle('yes', '--yes', 'do not ask for confirmation'),
  toggle('resendUncertain', '--resend-uncertain', 'send again to recipients whose outcome is unknown after a crash'),
  // One run's decision, never a standing setting (like --allow-repeat): campaign.yaml cannot set it.
  toggle('ignoreHealth', '--ignore-health', "send even when the sender's health refuses it (RED quality, a FLAGGED or RESTRICTED number)"),
  value('maxRetries', '--max-retries <n>', 'retries of a transient provider error', whole(0, '0 or more'), { default: 5 }),
  value('timeoutMs', '--timeout <ms>', 'per-request timeout in milliseconds', whole(1, 'above 0'), { default: 15_000 }),
  value('store', '--store <url>', 'shared state on Redis (redis:// or rediss://): rate ceiling per sender, 24 h limit, opt-outs, history', text, { env: 'CAMPAIGN_STORE' }),
  value('business', '--business <id>', 'the business whose 24 h messaging limit is shared across senders (default: the provider account)', text),
  // Canary waves (issue 12): judged by the callbacks the webhook writes; see campaign/ramp.ts.
  value('ramp', '--ramp <list>', 'send in canary waves, e.g. 500,5000,all or 1%,10%,all (cumulative: how many of the sendable recipients by the end of each wave)', text, { file: rampList }),
  value('rampWait', '--ramp-wait <duration>', 'after each wave but the last, watch its callbacks this long before judging it', duration, { default: '15m' }),
  toggle('rampBlind', '--ramp-blind', 'go on with the next wave even when no callback arrived to judge the last one'),
  value('rampMaxOptouts', '--ramp-max-optouts <pct>', "halt when more of a wave's recipients than this opted out", percent, { default: 1 }),
  value('rampMaxFailed', '--ramp-max-failed <pct>', "halt when more of a wave's recipients than this failed at delivery", percent, { default: 5 }),
  value('rampMinDelivered', '--ramp-min-delivered <pct>', "halt when fewer of a wave's recipients than this were delivered (judged only when callbacks arrive)", percent, { default: 80 }),
  value('sandboxFaults', '--sandbox-faults <spec>', 'sandbox only: inject faults, e.g. 429=0.05,reset=0.01,latency=20; its delivery callbacks: undeliverable=0.02,baja=0.005,read=0.6,callback-delay=1000,seed=7 or callbacks=off', text, { env: 'CAMPAIGN_SANDBOX_FAULTS' }),
] as const;

/** Only campaign.yaml sets these. */
export const FILE_ONLY_OPTIONS = [{ key: 'maxFailureRate', value: z.coerce.number({ error: 'must be a number' }).min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1'), default: 0.2 }] as const satisfies readonly OptionSpec[];

/** Every option of CampaignOptions, for the file schema, the environment and the merge. */
export const CAMPAIGN_OPTIONS: readonly OptionSpec[] = [...SELECTION_OPTIONS, ...CHECK_OPTIONS, JOURNAL_OPTION, ...RUN_OPTIONS, ...FILE_ONLY_OPTIONS];

/** The long flag's name without dashes: `--timeout <ms>` → `timeout`, `--no-color` → `no-color`. */
export function longName(spec: OptionSpec): string | undefined {
  return spec.flag?.match(/--([a-z0-9-]+)/)?.[1];
}

/** The first problem zod found, as the end of a sentence: "must be a number". */
export function firstIssue(error: z.ZodError): string {
  return error.issues[0]?.message ?? 'is invalid';
}
