import { startWebhookServer } from '../../core/webhook/server.js';
import { loadEnv } from '../../core/config/load.js';
import path from 'node:path';
import { EXIT } from '../exit-codes.js';
import { shown } from '../output.js';
import type { CommandOptions } from '../options.js';

/** `campaign webhook`: runs until Ctrl-C / SIGTERM, then closes cleanly (exit 0). */
export async function runWebhook(flags: CommandOptions['webhook']): Promise<number> {
  // --port is checked by its row in src/cli/options.ts.
  const port = flags.port ?? 8787;
  const host = flags.host ?? '127.0.0.1';
  const cwd = process.cwd();
  const journals = (flags.journal ?? []).map((j) => path.resolve(cwd, j));
  const env = loadEnv(cwd);
  const server = await startWebhookServer({ host, port, journals, cwd, env, store: flags.store ?? env.CAMPAIGN_STORE, log: (line) => process.stderr.write(`${new Date().toISOString()} ${shown(line)}\n`) });
  process.stderr.write(`listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.once('SIGHUP', stop);
  });
  await server.close();
  return EXIT.OK;
}
