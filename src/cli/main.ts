import { CommanderError } from 'commander';
import { CampaignError, formatError } from '../core/errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { shown } from './output.js';
import type { ParsedCommand } from './options.js';
import { parseArgv } from './program.js';
import { closeStateStores } from '../core/store/state.js';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 12)) {
  process.stderr.write(`campaign needs Node.js 20.12 or newer; this is ${process.versions.node}.\n`);
  process.exit(EXIT.USAGE);
}

const debug = process.argv.includes('--debug') || /\bcampaign\b/.test(process.env.DEBUG ?? '');

/** Each command's code is loaded only when it runs (lint never loads the send machinery). */
async function run(p: ParsedCommand): Promise<number> {
  switch (p.command) {
    case 'lint':
      return (await import('./commands/lint.js')).runLint(p.args[0], p.options);
    case 'send':
      return (await import('./commands/send.js')).runSend(p.args[0], p.options);
    case 'resume':
      return (await import('./commands/send.js')).runResume(p.args[0], p.options);
    case 'status':
      return (await import('./commands/status.js')).runStatus(p.args[0], p.options);
    case 'account':
      return (await import('./commands/account.js')).runAccount(p.options);
    case 'report':
      return (await import('./commands/report.js')).runReport(p.args[0], p.options);
    case 'optout':
      return (await import('./commands/optout.js')).runOptout(p.args[0], (p.args.slice(1) as unknown as (string | string[])[]).flat(), p.options);
    case 'store':
      return (await import('./commands/store.js')).runStore(p.args[0], p.options);
    case 'webhook':
      return (await import('./commands/webhook.js')).runWebhook(p.options);
    case 'init': {
      const { runInit } = await import('./init.js');
      await runInit({ cwd: process.cwd(), stdinIsTTY: Boolean(process.stdin.isTTY) });
      return EXIT.OK;
    }
  }
}

// `campaign --help | head`, or a closed terminal: a reader that went away is no error, and never
// a reason to stop before the journal is flushed. What it misses it misses; the work goes on.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
  });
}

// The one place that turns errors into exit codes (changesets' src/index.ts).
try {
  process.exitCode = await run(parseArgv(process.argv.slice(2)));
} catch (err) {
  report(err);
  process.exitCode = exitCodeFor(err);
} finally {
  // An open store connection would keep the process alive.
  await closeStateStores();
}

/** commander has already printed its own errors; ours get one or two plain sentences. */
function report(err: unknown): void {
  if (err instanceof CommanderError) return;
  if (err instanceof Error && err.name === 'ExitPromptError') {
    process.stderr.write('Cancelled.\n');
    return;
  }
  if (err instanceof CampaignError) {
    if (err.name !== 'ExitError') process.stderr.write(`campaign: ${shown(formatError(err))}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return;
  }
  const e = err as Error;
  process.stderr.write(`campaign: unexpected error: ${shown(e?.message ?? String(err))}\n`);
  if (debug) process.stderr.write(`${e?.stack ?? ''}\n`);
  else process.stderr.write('This is a bug in campaign. Run again with --debug for details and report it with them.\n');
}
