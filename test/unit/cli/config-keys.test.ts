/** campaign.yaml keys are the long flag names (README), in any of the three spellings, parsed by the flag's own row. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfigFile } from '../../../src/core/config/load.js';
import { CAMPAIGN_OPTIONS, longName } from '../../../src/core/config/options.js';
import { parseArgv } from '../../../src/cli/program.js';

let dir: string;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

function readYaml(text: string) {
  dir = mkdtempSync(path.join(tmpdir(), 'campaign-keys-'));
  writeFileSync(path.join(dir, 'campaign.yaml'), text);
  return readConfigFile(dir).values as Record<string, unknown>;
}

/** A valid value for each flag, as typed on the command line. */
const SAMPLE: Record<string, string> = {
  template: 'm.md', defaultCountry: 'ES', suppress: 'bajas.txt', where: 'city=Madrid', encoding: 'latin1', phoneColumn: 'movil',
  consentColumn: 'ok', consentMaxAge: '365', minInterval: '7d', repeatAfter: '3d', consentYes: 'Sí, quiero', headerLine: '3', provider: 'cloud', journal: 'j.jsonl', rate: '7', concurrency: '3',
  window: '09:00-21:00', tz: 'Europe/Madrid', dailyLimit: '100', maxRetries: '0', timeoutMs: '900', sandboxFaults: '429=0.1', store: 'redis://127.0.0.1:6379/0', business: 'acme',
  ramp: '500,5000,all', rampWait: '2s', rampMaxOptouts: '2%', rampMaxFailed: '4.5%', rampMinDelivered: '70%',
};

const settable = CAMPAIGN_OPTIONS.filter((o) => o.flag && o.file !== false && o.value);
const snake = (s: string) => s.replace(/-/g, '_');

describe('every flag campaign.yaml may set', () => {
  it('has a sample here', () => {
    expect(settable.map((o) => o.key).filter((k) => !(k in SAMPLE))).toEqual([]);
  });
  it.each(settable.flatMap((o) => [longName(o)!, snake(longName(o)!)].map((key) => [key, o] as const)))('%s: gives what the flag gives', (key, o) => {
    const sample = SAMPLE[o.key];
    const fromFile = readYaml(`${key}: "${sample}"\n`)[o.key];
    const fromFlag = (parseArgv(['send', 'c.csv', o.flag!.split(' ')[0], sample]).options as Record<string, unknown>)[o.key];
    // Paths differ only by where they are resolved (the file's folder, the working directory).
    expect(fromFile).toEqual(o.path ? (Array.isArray(fromFlag) ? fromFlag.map((p) => path.join(dir, p)) : path.join(dir, fromFlag as string)) : fromFlag);
  });
  it('switches: check_links and check-template are true or false in the file', () => {
    expect(readYaml('check_links: true\ncheck-template: false\n')).toEqual({ checkLinks: true, checkTemplate: false });
  });
  it('the file may not answer the confirmation for every run', () => {
    expect(() => readYaml('yes: true\n')).toThrow(/option `yes`/);
  });
});
