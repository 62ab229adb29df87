import { CommanderError } from 'commander';
import { CampaignError, formatError } from '../core/errors.js';
import { buildProgram } from './program.js';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 12)) {
  process.stderr.write(`campaign needs Node.js 20.12 or newer; this is ${process.versions.node}.\n`);
  process.exit(2);
}

const debug = process.argv.includes('--debug') || /\bcampaign\b/.test(process.env.DEBUG ?? '');

// The one place that turns errors into exit codes (changesets' src/index.ts).
try {
  const program = buildProgram();
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitCodeFor(err);
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    // commander exits 1 on usage errors; the contract says 2. It has already printed the message.
    return 2;
  }
  if (err instanceof Error && err.name === 'ExitPromptError') {
    process.stderr.write('Cancelled.\n');
    return 130;
  }
  if (err instanceof CampaignError) {
    if (err.name !== 'ExitError') process.stderr.write(`campaign: ${formatError(err)}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`campaign: unexpected error: ${e?.message ?? String(err)}\n`);
  if (debug) process.stderr.write(`${e?.stack ?? ''}\n`);
  else process.stderr.write('This is a bug in campaign. Run again with --debug for details and report it with them.\n');
  return 1;
}
