import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { InputError, UsageError } from '../errors.js';
import { CAMPAIGN_OPTIONS, firstIssue, longName, PROVIDERS } from './options.js';

/** Every option the contract lets `campaign.yaml` / flags set. Paths are absolute once loaded. */
export interface CampaignOptions {
  template?: string;
  provider: (typeof PROVIDERS)[number];
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
  consentYes: string[];
  international: boolean;
  headerLine?: number;
  consentMaxAge?: string;
  minInterval?: string;
  repeatAfter: string;
  allowRepeat: boolean;
  checkLinks: boolean;
  checkTemplate: boolean;
  maxRetries: number;
  timeoutMs: number;
  maxFailureRate: number;
  resendUncertain: boolean;
  ignoreHealth: boolean;
  dryRun: boolean;
  yes: boolean;
  sandboxFaults?: string;
  /** `--store`: the shared Redis store's URL (issue 11). */
  store?: string;
  business?: string;
  /** Canary waves (issue 12): `--ramp`, `--ramp-wait`, `--ramp-blind`, thresholds in percent. */
  ramp?: string;
  rampWait: string;
  rampBlind: boolean;
  rampMaxOptouts: number;
  rampMaxFailed: number;
  rampMinDelivered: number;
}

/** Each option's default, from the table. */
export const DEFAULTS: Partial<CampaignOptions> = Object.fromEntries(
  CAMPAIGN_OPTIONS.flatMap((o) => (o.default === undefined ? [] : [[o.key, o.default]])),
);

export { PROVIDERS };

/** The file's schema, built from the option table; keys may be written snake_case, kebab-case or camelCase. */
const fileSchema = z
  .object(
    Object.fromEntries(
      CAMPAIGN_OPTIONS.flatMap((o) => {
        const schema = o.file ?? o.value;
        return o.file === false || !schema ? [] : [[o.key, schema]];
      }),
    ),
  )
  .partial()
  .strict();

/** campaign.yaml key → option key, where the long flag's name differs (`timeout:` is `timeoutMs`). */
const FILE_ALIASES: Record<string, string> = Object.fromEntries(
  CAMPAIGN_OPTIONS.flatMap((o) => {
    const name = longName(o);
    return name && camelKey(name) !== o.key && o.file !== false ? [[camelKey(name), o.key]] : [];
  }),
);

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
    // A config is a few lines: a huge or alias-bombed one is refused, not expanded.
    if (text.length > 256 * 1024) throw new Error(`the file is ${Math.round(text.length / 1024)} KiB, far more than any config`);
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
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
  const renamed = Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [FILE_ALIASES[camelKey(k)] ?? camelKey(k), v]));
  const parsed = fileSchema.safeParse(renamed);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '');
    throw new InputError(`option \`${key}\`: ${issue.message}.`, {
      file: rel,
      hint: 'Valid options are the long flags of `campaign send --help`, written as keys.',
    });
  }
  return { file, values: resolvePaths(parsed.data as Partial<CampaignOptions>, path.dirname(file)) };
}

/** Paths in one layer are resolved against where that layer was written: a file's folder, the working directory for flags. */
export function resolvePaths<T extends Record<string, unknown>>(values: T, base: string): T {
  const out: Record<string, unknown> = { ...values };
  for (const o of CAMPAIGN_OPTIONS) {
    const v = out[o.key];
    if (!o.path || v === undefined) continue;
    out[o.key] = Array.isArray(v) ? v.map((p: string) => path.resolve(base, p)) : path.resolve(base, v as string);
  }
  return out as T;
}

/** The options an environment variable (or .env) sets, parsed as their flag would be. */
export function envOptions(env: Record<string, string | undefined>, cwd: string): Partial<CampaignOptions> {
  const out: Record<string, unknown> = {};
  for (const o of CAMPAIGN_OPTIONS) {
    const raw = o.env ? env[o.env] : undefined;
    if (raw === undefined || raw === '' || !o.value) continue;
    const parsed = o.value.safeParse(raw);
    if (!parsed.success) {
      throw new InputError(`${o.env} ${firstIssue(parsed.error)}.`, { hint: `Fix or unset it in the environment or in ${path.join(cwd, '.env')}.` });
    }
    out[o.key] = o.list ? [parsed.data] : parsed.data;
  }
  return resolvePaths(out as Partial<CampaignOptions>, cwd);
}

/**
 * Merges layers, lowest first, over the defaults. A value left undefined never overrides a lower
 * layer (np's rule: commander defaults would silently win over campaign.yaml).
 */
export function mergeOptions(...layers: Partial<CampaignOptions>[]): CampaignOptions {
  const merged: Record<string, unknown> = structuredClone(DEFAULTS); // the default lists are not shared
  for (const layer of layers) for (const [k, v] of Object.entries(layer)) if (v !== undefined) merged[k] = v;
  const o = merged as unknown as CampaignOptions;
  if (!PROVIDERS.includes(o.provider)) {
    throw new UsageError(`unknown provider \`${o.provider}\`.`, { hint: `Use one of: ${PROVIDERS.join(', ')}.` });
  }
  if (o.defaultCountry) o.defaultCountry = o.defaultCountry.toUpperCase();
  return o;
}

export interface ResolveRequest {
  /** Where campaign.yaml and .env are read, and flag paths resolved against. */
  cwd: string;
  /** Options given on the command line (only those given: no defaults). Paths as typed. */
  flags: Partial<CampaignOptions>;
  /** `resume`: what the journal header recorded, in place of campaign.yaml (which may have changed since). */
  recorded?: Partial<CampaignOptions>;
  base?: NodeJS.ProcessEnv;
}

/** What a command runs with: defaults < campaign.yaml (or the journal's record) < .env / environment < flags. */
export function resolveOptions(req: ResolveRequest): { options: CampaignOptions; env: Record<string, string | undefined>; configFile?: string; given: ReadonlySet<string> } {
  const file = req.recorded ? { values: req.recorded, file: undefined } : readConfigFile(req.cwd);
  const env = loadEnv(req.cwd, req.base);
  const layers = [envOptions(env, req.cwd), resolvePaths(req.flags, req.cwd)];
  const options = mergeOptions(file.values, ...layers);
  // What the user set now (campaign.yaml, environment, flags), apart from the defaults and a journal's record.
  const given = new Set([...(req.recorded ? [] : [file.values]), ...layers].flatMap((l) => Object.keys(l).filter((k) => (l as Record<string, unknown>)[k] !== undefined)));
  return { options, env, configFile: file.file, given };
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
