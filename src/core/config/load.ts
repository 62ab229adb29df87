import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { InputError, UsageError } from '../errors.js';

/** Every option the contract lets `campaign.yaml` / flags set. Paths are absolute once loaded. */
export interface CampaignOptions {
  template?: string;
  provider: 'sandbox' | 'cloud' | 'twilio' | 'vonage';
  rate: number;
  concurrency: number;
  journal?: string;
  defaultCountry?: string;
  suppress: string[];
  where: string[];
  window?: string;
  tz?: string;
  dailyLimit?: number;
  encoding?: string;
  phoneColumn?: string;
  consentColumn?: string;
  consentMaxAge?: string;
  minInterval?: string;
  checkLinks: boolean;
  checkTemplate: boolean;
  maxRetries: number;
  timeoutMs: number;
  maxFailureRate: number;
  resendUncertain: boolean;
  dryRun: boolean;
  yes: boolean;
  sandboxFaults?: string;
}

export const DEFAULTS = {
  provider: 'sandbox',
  rate: 20,
  concurrency: 10,
  suppress: [],
  where: [],
  checkLinks: false,
  checkTemplate: false,
  maxRetries: 5,
  timeoutMs: 15_000,
  maxFailureRate: 0.2,
  resendUncertain: false,
  dryRun: false,
  yes: false,
} satisfies Partial<CampaignOptions>;

export const PROVIDERS = ['sandbox', 'cloud', 'twilio', 'vonage'] as const;

const positiveInt = z.coerce.number().int().positive();
const stringList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

/** The file's schema; keys may be written snake_case, kebab-case or camelCase. */
const fileSchema = z
  .object({
    template: z.string(),
    provider: z.enum(PROVIDERS),
    rate: z.coerce.number().min(1, 'must be at least 1 message per second'),
    concurrency: positiveInt,
    journal: z.string(),
    defaultCountry: z.string().regex(/^[A-Za-z]{2}$/, 'must be a two-letter ISO country code such as ES'),
    suppress: stringList,
    where: z.union([stringList, z.record(z.string(), z.union([z.string(), z.number()]))]).transform((v) =>
      Array.isArray(v) ? v : Object.entries(v).map(([k, val]) => `${k}=${val}`),
    ),
    window: z.string(),
    tz: z.string(),
    dailyLimit: positiveInt,
    encoding: z.string(),
    phoneColumn: z.string(),
    consentColumn: z.string(),
    consentMaxAge: z.union([z.string(), z.number()]).transform(String),
    minInterval: z.union([z.string(), z.number()]).transform(String),
    checkLinks: z.boolean(),
    checkTemplate: z.boolean(),
    maxRetries: z.coerce.number().int().min(0),
    timeoutMs: positiveInt,
    maxFailureRate: z.coerce.number().min(0).max(1),
    sandboxFaults: z.string(),
  })
  .partial()
  .strict();

const PATH_KEYS = ['template', 'journal'] as const;

function camelKey(key: string): string {
  return key.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
}

export interface LoadedConfig {
  /** The config file that was read, if any. */
  file?: string;
  values: Partial<CampaignOptions>;
}

/** Reads `campaign.yaml` (or `.yml`, or `campaign.json`) from `cwd`. Relative paths in it are resolved against its folder. */
export function readConfigFile(cwd: string): LoadedConfig {
  const candidates = ['campaign.yaml', 'campaign.yml', 'campaign.json'].map((f) => path.join(cwd, f));
  const file = candidates.find((f) => existsSync(f));
  if (!file) return { values: {} };
  const rel = path.relative(process.cwd(), file) || file;
  let raw: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const line = err instanceof YAMLParseError ? err.linePos?.[0]?.line : undefined;
    throw new InputError(`cannot parse ${path.basename(file)}: ${(err as Error).message.split('\n')[0]}.`, {
      file: rel,
      line,
      hint: 'Fix the syntax, or move the file away to use the defaults.',
    });
  }
  if (raw == null) return { file, values: {} };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError('the config must be a mapping of option names to values.', { file: rel, hint: 'See the README, "campaign.yaml".' });
  }
  const renamed = Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [camelKey(k), v]));
  const parsed = fileSchema.safeParse(renamed);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '');
    throw new InputError(`option \`${key}\`: ${issue.message}.`, {
      file: rel,
      hint: 'Valid options are the long flags of `campaign send --help`, written as keys.',
    });
  }
  const values = parsed.data as Partial<CampaignOptions>;
  const base = path.dirname(file);
  for (const k of PATH_KEYS) if (values[k]) values[k] = path.resolve(base, values[k]!);
  if (values.suppress) values.suppress = values.suppress.map((p) => path.resolve(base, p));
  return { file, values };
}

/**
 * Merges defaults < config file < explicit flags. Flags left undefined never override the file
 * (np's rule: commander defaults would silently win over campaign.yaml).
 */
export function mergeOptions(file: Partial<CampaignOptions>, flags: Partial<CampaignOptions>): CampaignOptions {
  const defined = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) as Partial<CampaignOptions>;
  const merged = { ...DEFAULTS, ...file, ...defined } as CampaignOptions;
  if (!PROVIDERS.includes(merged.provider)) {
    throw new UsageError(`unknown provider \`${merged.provider}\`.`, { hint: `Use one of: ${PROVIDERS.join(', ')}.` });
  }
  if (merged.defaultCountry) merged.defaultCountry = merged.defaultCountry.toUpperCase();
  return merged;
}

/**
 * The environment providers read: the process environment wins over `.env` in `cwd`. Secrets
 * stay in this object; nothing here is ever written to the journal.
 */
export function loadEnv(cwd: string, base: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const file = path.join(cwd, '.env');
  let fromFile: Record<string, string> = {};
  if (existsSync(file)) {
    try {
      fromFile = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      throw new InputError('cannot parse .env.', { file, hint: 'Each line should be NAME=value.' });
    }
  }
  return { ...fromFile, ...base };
}
