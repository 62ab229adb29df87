/** argv → {command, args, options}, through commander but without running anything (changesets' src/cli.test.ts). */
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { COMMANDS, RESUME_REFUSAL } from '../../../src/cli/options.js';
import { parseArgv } from '../../../src/cli/program.js';

const quiet = { writeOut: () => {}, writeErr: () => {} };
const parse = (argv: string[]) => parseArgv(argv, quiet);

describe('argv → options', () => {
  it.each<[string[], unknown]>([
    // lint
    [['lint', 'c.csv'], { command: 'lint', args: ['c.csv'], options: {} }],
    [['lint', 'c.csv', '--template', 'm.md'], { command: 'lint', args: ['c.csv'], options: { template: 'm.md' } }],
    [['lint', 'c.csv', '--default-country', 'es'], { command: 'lint', args: ['c.csv'], options: { defaultCountry: 'es' } }],
    [['lint', 'c.csv', '--suppress', 'a.txt', '--suppress', 'b.csv'], { command: 'lint', args: ['c.csv'], options: { suppress: ['a.txt', 'b.csv'] } }],
    [['lint', 'c.csv', '--where', 'city=Madrid', '--where', 'age=30'], { command: 'lint', args: ['c.csv'], options: { where: ['city=Madrid', 'age=30'] } }],
    [['lint', 'c.csv', '--encoding', 'windows-1252'], { command: 'lint', args: ['c.csv'], options: { encoding: 'windows-1252' } }],
    [['lint', 'c.csv', '--phone-column', 'Móvil', '--consent-column', 'ok'], { command: 'lint', args: ['c.csv'], options: { phoneColumn: 'Móvil', consentColumn: 'ok' } }],
    [['lint', 'c.csv', '--consent-max-age', '365', '--min-interval', '7d'], { command: 'lint', args: ['c.csv'], options: { consentMaxAge: '365', minInterval: '7d' } }],
    [['lint', 'c.csv', '--provider', 'twilio'], { command: 'lint', args: ['c.csv'], options: { provider: 'twilio' } }],
    [['lint', 'c.csv', '--check-links', '--check-template'], { command: 'lint', args: ['c.csv'], options: { checkLinks: true, checkTemplate: true } }],
    [['lint', 'c.csv', '--json', '--no-color', '--debug'], { command: 'lint', args: ['c.csv'], options: { json: true, color: false, debug: true } }],
    // send
    [['send', 'c.csv'], { command: 'send', args: ['c.csv'], options: {} }],
    [['send', 'c.csv', '--rate', '5'], { command: 'send', args: ['c.csv'], options: { rate: 5 } }],
    [['send', 'c.csv', '--rate', '2.5', '--concurrency', '3'], { command: 'send', args: ['c.csv'], options: { rate: 2.5, concurrency: 3 } }],
    [['send', 'c.csv', '--journal', 'j.jsonl'], { command: 'send', args: ['c.csv'], options: { journal: 'j.jsonl' } }],
    [['send', 'c.csv', '--window', '09:00-21:00', '--tz', 'Europe/Madrid'], { command: 'send', args: ['c.csv'], options: { window: '09:00-21:00', tz: 'Europe/Madrid' } }],
    [['send', 'c.csv', '--daily-limit', '1000'], { command: 'send', args: ['c.csv'], options: { dailyLimit: 1000 } }],
    [['send', 'c.csv', '--dry-run', '--yes', '--resend-uncertain'], { command: 'send', args: ['c.csv'], options: { dryRun: true, yes: true, resendUncertain: true } }],
    [['send', 'c.csv', '--max-retries', '0'], { command: 'send', args: ['c.csv'], options: { maxRetries: 0 } }],
    [['send', 'c.csv', '--timeout', '500'], { command: 'send', args: ['c.csv'], options: { timeoutMs: 500 } }],
    [['send', 'c.csv', '--sandbox-faults', '429=0.5'], { command: 'send', args: ['c.csv'], options: { sandboxFaults: '429=0.5' } }],
    [['send', 'c.csv', '--template', 'm.md', '--where', 'city=Madrid', '--json'], { command: 'send', args: ['c.csv'], options: { template: 'm.md', where: ['city=Madrid'], json: true } }],
    [['send', '--rate=7', 'c.csv'], { command: 'send', args: ['c.csv'], options: { rate: 7 } }],
    // resume: everything that paces or steers the run
    [['resume', 'j.jsonl'], { command: 'resume', args: ['j.jsonl'], options: {} }],
    [['resume', 'j.jsonl', '--rate', '5'], { command: 'resume', args: ['j.jsonl'], options: { rate: 5 } }],
    [['resume', 'j.jsonl', '--max-retries', '3'], { command: 'resume', args: ['j.jsonl'], options: { maxRetries: 3 } }],
    [['resume', 'j.jsonl', '--max-retries', '0', '--timeout', '250'], { command: 'resume', args: ['j.jsonl'], options: { maxRetries: 0, timeoutMs: 250 } }],
    [['resume', 'j.jsonl', '--concurrency', '2', '--daily-limit', '9'], { command: 'resume', args: ['j.jsonl'], options: { concurrency: 2, dailyLimit: 9 } }],
    [['resume', 'j.jsonl', '--window', '08:00-20:00', '--tz', 'UTC'], { command: 'resume', args: ['j.jsonl'], options: { window: '08:00-20:00', tz: 'UTC' } }],
    [['resume', 'j.jsonl', '--dry-run', '--yes', '--resend-uncertain'], { command: 'resume', args: ['j.jsonl'], options: { dryRun: true, yes: true, resendUncertain: true } }],
    [['resume', 'j.jsonl', '--sandbox-faults', 'reset=1', '--check-links'], { command: 'resume', args: ['j.jsonl'], options: { sandboxFaults: 'reset=1', checkLinks: true } }],
    [['resume', 'j.jsonl', '--json', '--no-color', '--debug'], { command: 'resume', args: ['j.jsonl'], options: { json: true, color: false, debug: true } }],
    // status, report, webhook, init
    [['status', 'j.jsonl'], { command: 'status', args: ['j.jsonl'], options: {} }],
    [['status', 'j.jsonl', '--json', '--no-color'], { command: 'status', args: ['j.jsonl'], options: { json: true, color: false } }],
    [['report', 'j.jsonl', '--html', 'r.html'], { command: 'report', args: ['j.jsonl'], options: { html: 'r.html' } }],
    [['report', 'j.jsonl', '--json', '--debug'], { command: 'report', args: ['j.jsonl'], options: { json: true, debug: true } }],
    [['webhook'], { command: 'webhook', args: [], options: {} }],
    [['webhook', '--port', '0', '--host', '::1'], { command: 'webhook', args: [], options: { port: 0, host: '::1' } }],
    [['webhook', '--journal', 'a.jsonl', '--journal', 'b.jsonl'], { command: 'webhook', args: [], options: { journal: ['a.jsonl', 'b.jsonl'] } }],
    [['init'], { command: 'init', args: [], options: {} }],
    [['init', '--debug'], { command: 'init', args: [], options: { debug: true } }],
  ])('%j', (argv, expected) => {
    expect(parse(argv)).toEqual(expected);
  });
});

describe('bad usage is refused before anything runs', () => {
  it.each<[string[], RegExp]>([
    [['send', 'c.csv', '--rate', 'fast'], /--rate must be a number/],
    [['send', 'c.csv', '--rate', '0.5'], /--rate must be at least 1 message per second/],
    [['send', 'c.csv', '--concurrency', '0'], /--concurrency must be above 0/],
    [['send', 'c.csv', '--concurrency', '1.5'], /--concurrency must be a whole number/],
    [['send', 'c.csv', '--max-retries', '-1'], /--max-retries must be 0 or more/],
    [['resume', 'j.jsonl', '--daily-limit', 'x'], /--daily-limit must be a whole number/],
    [['lint', 'c.csv', '--provider', 'whatsapp-web'], /--provider must be one of sandbox, cloud, twilio, vonage/],
    [['lint', 'c.csv', '--default-country', 'Spain'], /--default-country must be a two-letter ISO country code/],
    [['webhook', '--port', '70000'], /--port must be a port number/],
    [['lint', 'c.csv', '--rate', '5'], /unknown option '--rate'/],
    [['status', 'j.jsonl', '--yes'], /unknown option '--yes'/],
    [['resume', 'j.jsonl', '--journal', 'other.jsonl'], /unknown option '--journal'/],
    [['send'], /missing required argument 'contacts'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('%j', (argv, message) => {
    let stderr = '';
    const err = catchError(() => parseArgv(argv, { writeOut: () => {}, writeErr: (s) => (stderr += s) }));
    expect(err).toBeInstanceOf(CommanderError);
    expect(stderr).toMatch(message);
  });

  // Declared (hidden) on resume so the refusal says why, instead of "unknown option".
  it.each(COMMANDS.resume.refused.options.map((o) => [o.flag!.split(' ')[0], o.value ? ['x'] : []] as const))(
    'resume %s: the journal fixed the selection',
    (flag, value) => {
      const err = catchError(() => parse(['resume', 'j.jsonl', flag, ...value]));
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(`${flag}: ${RESUME_REFUSAL}.`);
    },
  );

  it('resume names every refused flag at once', () => {
    const err = catchError(() => parse(['resume', 'j.jsonl', '--where', 'a=b', '--template', 'm.md', '--rate', '5']));
    expect((err as Error).message).toMatch(/^--template, --where: /);
  });
});

describe('resume offers what send has, less the selection and the journal', () => {
  const flags = (c: { options: readonly { flag?: string }[] }) => c.options.map((o) => o.flag).filter(Boolean);
  it('every send flag is either taken by resume or refused by it (or is --journal)', () => {
    const resume = new Set([...flags(COMMANDS.resume), ...flags(COMMANDS.resume.refused)]);
    expect(flags(COMMANDS.send).filter((f) => !resume.has(f))).toEqual(['--journal <file>']);
  });
  it('resume takes the flags the journal does not fix, and --help shows them', () => {
    expect(flags(COMMANDS.resume)).toEqual(expect.arrayContaining(['--rate <n>', '--max-retries <n>', '--timeout <ms>', '--sandbox-faults <spec>', '--json', '--no-color', '--debug']));
    let help = '';
    catchError(() => parseArgv(['resume', '--help'], { writeOut: (s) => (help += s), writeErr: () => {} }));
    expect(help).toContain('--max-retries <n>');
    expect(help).not.toContain('--where');
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
