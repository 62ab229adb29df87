/**
 * defaults < campaign.yaml < .env < environment < flags, with real files in a temp folder and the
 * flags parsed from argv the way the CLI parses them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveOptions, type CampaignOptions } from '../../../src/core/config/load.js';
import { InputError } from '../../../src/core/errors.js';
import { pickCampaignOptions } from '../../../src/cli/commands/shared.js';
import { parseArgv } from '../../../src/cli/program.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Layers {
  yaml?: string;
  dotenv?: string;
  environment?: Record<string, string>;
  argv?: string[];
  recorded?: Partial<CampaignOptions>;
}

function resolve({ yaml, dotenv, environment = {}, argv = [], recorded }: Layers): CampaignOptions {
  dir = mkdtempSync(path.join(tmpdir(), 'campaign-precedence-'));
  if (yaml !== undefined) writeFileSync(path.join(dir, 'campaign.yaml'), yaml);
  if (dotenv !== undefined) writeFileSync(path.join(dir, '.env'), dotenv);
  const parsed = parseArgv([recorded ? 'resume' : 'send', recorded ? 'j.jsonl' : 'c.csv', ...argv]);
  return resolveOptions({ cwd: dir, flags: pickCampaignOptions(parsed.options), base: environment, recorded }).options;
}

const FAULTS = 'CAMPAIGN_SANDBOX_FAULTS';

describe('each layer alone', () => {
  it.each<[string, Layers, Partial<CampaignOptions>]>([
    ['defaults', {}, { rate: 20, concurrency: 10, maxRetries: 5, timeoutMs: 15_000, provider: 'sandbox', checkLinks: false, suppress: [], where: [] }],
    ['campaign.yaml', { yaml: 'rate: 7\nsandbox_faults: "429=0.1"\ncheck-links: true\ntimeout: 900\n' }, { rate: 7, sandboxFaults: '429=0.1', checkLinks: true, timeoutMs: 900 }],
    ['.env', { dotenv: `${FAULTS}=500=0.2\n` }, { sandboxFaults: '500=0.2', rate: 20 }],
    ['environment', { environment: { [FAULTS]: 'reset=0.3' } }, { sandboxFaults: 'reset=0.3' }],
    ['flags', { argv: ['--rate', '3', '--sandbox-faults', 'latency=5', '--max-retries', '0'] }, { rate: 3, sandboxFaults: 'latency=5', maxRetries: 0 }],
  ])('%s', (_name, layers, expected) => {
    expect(resolve(layers)).toMatchObject(expected);
  });
});

describe('each pair: the higher layer wins', () => {
  const yaml = 'sandbox_faults: from-yaml\n';
  const dotenv = `${FAULTS}=from-dotenv\n`;
  const environment = { [FAULTS]: 'from-environment' };
  const argv = ['--sandbox-faults', 'from-flag'];
  it.each<[string, Layers, string]>([
    ['campaign.yaml < .env', { yaml, dotenv }, 'from-dotenv'],
    ['campaign.yaml < environment', { yaml, environment }, 'from-environment'],
    ['.env < environment', { dotenv, environment }, 'from-environment'],
    ['campaign.yaml < flag', { yaml, argv }, 'from-flag'],
    ['.env < flag', { dotenv, argv }, 'from-flag'],
    ['environment < flag', { environment, argv }, 'from-flag'],
    ['all four', { yaml, dotenv, environment, argv }, 'from-flag'],
  ])('%s', (_name, layers, expected) => {
    expect(resolve(layers).sandboxFaults).toBe(expected);
  });

  it('defaults < campaign.yaml < flag for an option without a variable', () => {
    expect(resolve({ yaml: 'rate: 7\n' }).rate).toBe(7);
    expect(resolve({ yaml: 'rate: 7\n', argv: ['--rate', '9'] }).rate).toBe(9);
  });
});

describe('a flag left out never overrides the file', () => {
  it.each<[string, string, string[], Partial<CampaignOptions>]>([
    ['numbers', 'rate: 7\nconcurrency: 2\nmax_retries: 0\ntimeout_ms: 800\ndaily_limit: 50\n', ['--dry-run'], { rate: 7, concurrency: 2, maxRetries: 0, timeoutMs: 800, dailyLimit: 50 }],
    ['switches', 'check_links: true\ncheck_template: true\n', ['--no-color', '--json'], { checkLinks: true, checkTemplate: true }],
    ['lists', 'where: {city: Madrid}\nsuppress: bajas.txt\n', ['--yes'], { where: ['city=Madrid'] }],
    ['provider and window', 'provider: cloud\nwindow: "09:00-21:00"\ntz: Europe/Madrid\n', ['--rate', '4'], { provider: 'cloud', window: '09:00-21:00', tz: 'Europe/Madrid', rate: 4 }],
  ])('%s', (_name, yaml, argv, expected) => {
    expect(resolve({ yaml, argv })).toMatchObject(expected);
  });

  it('paths: campaign.yaml against its folder, repeated flags replace the file list', () => {
    const o = resolve({ yaml: 'template: m.md\nsuppress: [a.txt]\n', argv: ['--suppress', 'b.txt', '--suppress', 'c.txt'] });
    expect(o.template).toBe(path.join(dir, 'm.md'));
    expect(o.suppress).toEqual([path.join(dir, 'b.txt'), path.join(dir, 'c.txt')]);
  });
});

describe('resume: the journal record takes campaign.yaml\'s place', () => {
  it('campaign.yaml is not read; the record stands', () => {
    const o = resolve({ yaml: 'rate: 99\nwhere: [city=Bilbao]\n', recorded: { rate: 7, where: [], maxRetries: 5 } });
    expect(o).toMatchObject({ rate: 7, where: [], maxRetries: 5 });
  });
  it('the environment and the flags resume takes override the record', () => {
    const o = resolve({ recorded: { rate: 7, maxRetries: 5, timeoutMs: 15_000 }, environment: { [FAULTS]: 'reset=1' }, argv: ['--rate', '5', '--max-retries', '0'] });
    expect(o).toMatchObject({ rate: 5, maxRetries: 0, timeoutMs: 15_000, sandboxFaults: 'reset=1' });
  });
});

describe('bad values name where they came from', () => {
  it('campaign.yaml', () => {
    expect(() => resolve({ yaml: 'rate: 0.5\n' })).toThrow(/option `rate`: must be at least 1 message per second/);
    expect(() => resolve({ yaml: 'ratee: 5\n' })).toThrow(InputError);
  });
  it('the same rule for the flag and the file key', () => {
    expect(() => resolve({ yaml: 'concurrency: 1.5\n' })).toThrow(/option `concurrency`: must be a whole number/);
    expect(() => parseArgv(['send', 'c.csv', '--concurrency', '1.5'], { writeErr: () => {} })).toThrow(/--concurrency must be a whole number/);
  });
});
