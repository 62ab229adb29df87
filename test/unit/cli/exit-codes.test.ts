/** Every error class and outcome that reaches the CLI, and the contract's code for it. */
import { CommanderError, InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { CampaignError, ExitError, InputError, UsageError } from '../../../src/core/errors.js';
import { EXIT, exitCodeFor } from '../../../src/cli/exit-codes.js';
import { parseArgv } from '../../../src/cli/program.js';

class ExitPromptError extends Error {
  name = 'ExitPromptError'; // inquirer's, when Ctrl-C ends a prompt
}

describe('the table', () => {
  it('is the contract', () => {
    expect(EXIT).toEqual({ OK: 0, FAILURES: 1, USAGE: 2, INTERRUPTED: 130 });
  });
});

describe('exitCodeFor', () => {
  it.each<[string, unknown, number]>([
    ['UsageError', new UsageError('bad flag'), EXIT.USAGE],
    ['InputError', new InputError('bad csv', { file: 'c.csv', line: 3 }), EXIT.USAGE],
    ['a CampaignError without a code (e.g. a provider that refused)', new CampaignError('refused'), EXIT.FAILURES],
    ['a CampaignError with the usage code (parity fetch)', new CampaignError('no token', { exitCode: 2 }), EXIT.USAGE],
    ['ExitError(1): already told', new ExitError(1), EXIT.FAILURES],
    ['ExitError(130): already told', new ExitError(130), EXIT.INTERRUPTED],
    ['a prompt cancelled with Ctrl-C', new ExitPromptError('User force closed the prompt'), EXIT.INTERRUPTED],
    ['commander: unknown option', new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"), EXIT.USAGE],
    ['commander: bad value', new InvalidArgumentError('--rate must be a number.'), EXIT.USAGE],
    ['commander: --help', new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), EXIT.OK],
    ['commander: --version', new CommanderError(0, 'commander.version', '0.1.0'), EXIT.OK],
    ['commander: no command, help shown', new CommanderError(1, 'commander.help', '(outputHelp)'), EXIT.OK],
    ['a bug', new TypeError('x is undefined'), EXIT.FAILURES],
    ['not even an Error', 'thrown string', EXIT.FAILURES],
  ])('%s', (_name, err, code) => {
    expect(exitCodeFor(err)).toBe(code);
  });
});

describe('from argv to exit code, without running anything', () => {
  const codeOf = (argv: string[]) => {
    try {
      parseArgv(argv, { writeOut: () => {}, writeErr: () => {} });
      return EXIT.OK;
    } catch (err) {
      return exitCodeFor(err);
    }
  };
  it.each<[string[], number]>([
    [['send', 'c.csv', '--rate', 'x'], EXIT.USAGE],
    [['send', 'c.csv', '--bogus'], EXIT.USAGE],
    [['resume', 'j.jsonl', '--where', 'a=b'], EXIT.USAGE],
    [['send'], EXIT.USAGE],
    [['--help'], EXIT.OK],
    [['send', '--help'], EXIT.OK],
    [['--version'], EXIT.OK],
    [['resume', 'j.jsonl', '--max-retries', '3'], EXIT.OK],
  ])('%j → %i', (argv, code) => {
    expect(codeOf(argv)).toBe(code);
  });
});
