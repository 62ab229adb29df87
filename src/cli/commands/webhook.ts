import { startWebhookServer } from '../../core/webhook/server.js';
import { UsageError } from '../../core/errors.js';
import { loadEnv } from '../../core/config/load.js';
import path from 'node:path';

/** `campaign webhook`: runs until Ctrl-C / SIGTERM, then closes cleanly (exit 0). */
export async function runWebhook(flags: Record<string, unknown>): Promise<number> {
  const port = flags.port === undefined ? 8787 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number (0 picks a free one).');
  const host = (flags.host as string | undefined) ?? '127.0.0.1';
  const cwd = process.cwd();
  const journals = ((flags.journal as string[] | undefined) ?? []).map((j) => path.resolve(cwd, j));
  const server = await startWebhookServer({ host, port, journals, cwd, env: loadEnv(cwd), log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) });
  process.stderr.write(`listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
