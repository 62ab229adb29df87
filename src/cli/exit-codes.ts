import { CommanderError } from 'commander';
import { CampaignError } from '../core/errors.js';

/** The contract's exit codes, the only place src/cli spells them. */
export const EXIT = {
  /** Every selected recipient has an outcome and none failed; lint without errors. */
  OK: 0,
  /** Finished with failures, halted or paused (resumable); lint with error-level findings. */
  FAILURES: 1,
  /** Bad usage or unreadable / invalid input: nothing was sent. */
  USAGE: 2,
  /** Ctrl-C (SIGINT) after a clean journal flush (resumable), or a prompt cancelled with Ctrl-C. */
  INTERRUPTED: 130,
} as const;

/** The signals a send stops cleanly on (drain, flush, release the lock), and their numbers. */
export const STOP_SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

/** The shell's convention for "stopped by signal n": 128 + n (SIGHUP 129, SIGINT 130, SIGTERM 143). */
export function signalExit(sig: StopSignal): number {
  return 128 + STOP_SIGNALS[sig];
}

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** commander's codes that mean "did what was asked" (--help, --version). */
const COMMANDER_OK = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

/** What an error that reached main.ts exits with. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return COMMANDER_OK.has(err.code) ? EXIT.OK : EXIT.USAGE; // commander's own is 1
  if (err instanceof Error && err.name === 'ExitPromptError') return EXIT.INTERRUPTED;
  if (err instanceof CampaignError) return err.exitCode;
  return EXIT.FAILURES;
}

