/**
 * A real `campaign webhook` child and what the tests post to it: one place for starting it,
 * finding its URL and signing a Meta callback as `X-Hub-Signature-256` does.
 */
import { createHmac } from 'node:crypto';
import { startCli, waitFor, type CliOptions } from './run-cli.js';

export interface RunningWebhook {
  url: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `campaign webhook --port 0 ...extra` and waits until it listens. */
export async function startWebhook(extra: string[], opts: CliOptions): Promise<RunningWebhook> {
  const hook = startCli(['webhook', '--port', '0', ...extra], { timeoutMs: 60_000, ...opts });
  // 30 s: a Node start on two cores shared with the rest of the suite can take several seconds.
  await waitFor(() => /listening on (http:\/\/\S+)/.test(hook.stderr()), 30_000, 'the webhook');
  return {
    url: /listening on (http:\/\/\S+)/.exec(hook.stderr())![1],
    stderr: hook.stderr,
    stop: async () => {
      hook.child.kill('SIGTERM');
      await hook.done.catch(() => undefined);
    },
  };
}

/** Posts a Meta inbound text message from `from` (digits, no +), signed with `secret`; the HTTP status. */
export async function postMetaReply(url: string, secret: string, from: string, text: string): Promise<number> {
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: 'W', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: 'SANDBOX' }, messages: [{ from, id: `wamid.IN${from}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }] } }] }],
  });
  const res = await fetch(`${url}/webhooks/cloud`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
    body,
  });
  await res.text();
  return res.status;
}
