import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { runInit, type InitPrompt } from '../../../src/cli/init.js';
import { UsageError } from '../../../src/core/errors.js';

/** Answers by question text (first matching regex wins); unanswered questions take the default. */
function scripted(answers: [RegExp, string | boolean][]): InitPrompt & { asked: string[] } {
  const asked: string[] = [];
  const find = (message: string) => answers.find(([re]) => re.test(message))?.[1];
  return {
    asked,
    async select(q) {
      asked.push(q.message);
      const a = find(q.message);
      const value = (a as string | undefined) ?? q.default ?? q.choices[0].value;
      expect(q.choices.map((c) => c.value)).toContain(value);
      return value;
    },
    async input(q) {
      asked.push(q.message);
      const value = (find(q.message) as string | undefined) ?? q.default ?? '';
      expect(q.validate?.(value) ?? true).toBe(true);
      return value;
    },
    async confirm(q) {
      asked.push(q.message);
      const a = find(q.message);
      return typeof a === 'boolean' ? a : (q.default ?? false);
    },
  };
}

const dir = () => mkdtempSync(join(tmpdir(), 'init-'));
const quiet = () => {};

/** The front matter of a template file, parsed. */
function frontMatter(text: string): Record<string, unknown> {
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  expect(m).not.toBeNull();
  return { ...YAML.parse(m![1]), __body: m![2] };
}

describe('campaign init', () => {
  it('refuses without a TTY, with the contract message', async () => {
    const cwd = dir();
    const err = await runInit({ cwd, stdinIsTTY: false, prompt: scripted([]) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toBe('campaign init is interactive: run it in a terminal, or write campaign.yaml by hand (see README)');
    expect(existsSync(join(cwd, 'campaign.yaml'))).toBe(false);
  });

  it('writes campaign.yaml and message.md with the answers', async () => {
    const cwd = dir();
    const prompt = scripted([
      [/Which provider/, 'cloud'],
      [/per second/i, '60'],
      [/country/i, 'mx'],
      [/between/i, '10:00-20:30'],
      [/time zone/i, 'America/Mexico_City'],
      [/name at the provider/i, 'rally_invite'],
      [/language/i, 'es_MX'],
      [/category/i, 'utility'],
    ]);
    const result = await runInit({ cwd, stdinIsTTY: true, prompt, log: quiet });
    expect(result.written).toHaveLength(2);
    expect(prompt.asked.find((m) => /per second/.test(m))).toMatch(/80/); // cloud note

    const config = YAML.parse(readFileSync(join(cwd, 'campaign.yaml'), 'utf8'));
    expect(config).toEqual({
      provider: 'cloud', template: 'message.md', rate: 60, 'default-country': 'MX', window: '10:00-20:30', tz: 'America/Mexico_City',
    });
    const fm = frontMatter(readFileSync(join(cwd, 'message.md'), 'utf8'));
    expect(fm).toMatchObject({ template: 'rally_invite', language: 'es_MX', category: 'utility', params: ['first_name'], links: [] });
    expect(fm.__body).toContain('{{first_name}}');
    expect(readFileSync(join(cwd, 'message.md'), 'utf8')).toMatch(/#.*kind: video/);
  });

  it('defaults: sandbox, 20/s, ES, 09:00-21:00 Europe/Madrid; twilio asks for the Content SID', async () => {
    const cwd = dir();
    await runInit({ cwd, stdinIsTTY: true, prompt: scripted([]), log: quiet });
    expect(YAML.parse(readFileSync(join(cwd, 'campaign.yaml'), 'utf8'))).toMatchObject({
      provider: 'sandbox', rate: 20, 'default-country': 'ES', window: '09:00-21:00', tz: 'Europe/Madrid',
    });
    const cwd2 = dir();
    await runInit({ cwd: cwd2, stdinIsTTY: true, prompt: scripted([[/Which provider/, 'twilio'], [/between/i, '']]), log: quiet });
    const config = YAML.parse(readFileSync(join(cwd2, 'campaign.yaml'), 'utf8'));
    expect(config.window).toBeUndefined();
    expect(frontMatter(readFileSync(join(cwd2, 'message.md'), 'utf8')).content_sid).toBe('TWILIO_CONTENT_SID');
  });

  it('offers canary waves for lists of 2,000 or more and writes ramp / ramp_wait, which campaign.yaml then reads', async () => {
    const cwd = dir();
    const prompt = scripted([[/How many recipients/, 'large'], [/canary waves/, '1%,10%,all'], [/watch each wave/, '30m']]);
    await runInit({ cwd, stdinIsTTY: true, prompt, log: quiet });
    const config = YAML.parse(readFileSync(join(cwd, 'campaign.yaml'), 'utf8'));
    expect(config).toMatchObject({ ramp: '1%,10%,all', ramp_wait: '30m' });
    const { readConfigFile } = await import('../../../src/core/config/load.js');
    expect(readConfigFile(cwd).values).toMatchObject({ ramp: '1%,10%,all', rampWait: '30m' });

    // A small list: no waves asked for, and the key only as a comment.
    const small = dir();
    const asked = scripted([]);
    await runInit({ cwd: small, stdinIsTTY: true, prompt: asked, log: quiet });
    expect(asked.asked.some((m) => /canary waves/.test(m))).toBe(false);
    const text = readFileSync(join(small, 'campaign.yaml'), 'utf8');
    expect(YAML.parse(text).ramp).toBeUndefined();
    expect(text).toMatch(/# ramp: 500,5000,all/);

    // Declining the waves for a large list writes none either.
    const none = dir();
    await runInit({ cwd: none, stdinIsTTY: true, prompt: scripted([[/How many recipients/, 'large'], [/canary waves/, 'none']]), log: quiet });
    expect(YAML.parse(readFileSync(join(none, 'campaign.yaml'), 'utf8')).ramp).toBeUndefined();
  });

  it('never overwrites an existing file when the answer is no (the default)', async () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'campaign.yaml'), 'provider: vonage\n');
    writeFileSync(join(cwd, 'message.md'), 'mine\n');
    const prompt = scripted([[/Which provider/, 'cloud']]);
    const lines: string[] = [];
    const result = await runInit({ cwd, stdinIsTTY: true, prompt, log: (l) => lines.push(l) });
    expect(readFileSync(join(cwd, 'campaign.yaml'), 'utf8')).toBe('provider: vonage\n');
    expect(readFileSync(join(cwd, 'message.md'), 'utf8')).toBe('mine\n');
    expect(result.written).toEqual([]);
    expect(prompt.asked.filter((m) => /already exists/.test(m))).toHaveLength(2);
    expect(lines.join('\n')).toMatch(/Kept the existing campaign.yaml/);
  });

  it('overwrites only the file the user says yes to', async () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'campaign.yaml'), 'provider: vonage\n');
    writeFileSync(join(cwd, 'message.md'), 'mine\n');
    await runInit({ cwd, stdinIsTTY: true, prompt: scripted([[/campaign\.yaml already exists/, true]]), log: quiet });
    expect(YAML.parse(readFileSync(join(cwd, 'campaign.yaml'), 'utf8')).provider).toBe('sandbox');
    expect(readFileSync(join(cwd, 'message.md'), 'utf8')).toBe('mine\n');
  });
});
