/**
 * Errors the core throws. The CLI's single catch (src/cli/main.ts) turns them into one or two
 * plain sentences and an exit code; only `--debug` shows a stack.
 */
export class CampaignError extends Error {
  readonly exitCode: number;
  readonly file?: string;
  readonly line?: number;
  readonly hint?: string;

  constructor(message: string, opts: { exitCode?: number; file?: string; line?: number; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? 1;
    this.file = opts.file;
    this.line = opts.line;
    this.hint = opts.hint;
  }
}

/** Bad flags or options: exit 2, nothing sent. */
export class UsageError extends CampaignError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...opts, exitCode: 2 });
  }
}

/** Unreadable or invalid input file (contacts, template, config, journal): exit 2, nothing sent. */
export class InputError extends CampaignError {
  constructor(message: string, opts: { file?: string; line?: number; hint?: string; cause?: unknown } = {}) {
    super(message, { ...opts, exitCode: 2 });
  }
}

/** The user has already been told what happened; exit with this code. */
export class ExitError extends CampaignError {
  constructor(exitCode: number) {
    super(`exit ${exitCode}`, { exitCode });
  }
}

/** Formats an error for a person: "file:line: message Fix: hint". */
export function formatError(err: CampaignError): string {
  const where = err.file ? `${err.file}${err.line ? `:${err.line}` : ''}: ` : '';
  return `${where}${err.message}${err.hint ? ` ${err.hint}` : ''}`;
}
