/**
 * A fake WhatsApp Cloud API (and Twilio) on 127.0.0.1, built on startFakeServer: records the
 * recipient of every request and answers like the real API unless `decide` says otherwise.
 */
import { startFakeServer, type FakeResponse, type FakeServer, type FakeServerOptions, type RecordedRequest } from './fake-servers.js';

export interface FakeCloud {
  server: FakeServer;
  /** Environment for `--provider cloud`. */
  env: Record<string, string>;
  /** Recipient (E.164 with +) of every request, in arrival order. */
  tos(): string[];
  /** How many requests each recipient got that were answered 2xx (or left hanging / killed). */
  accepted(): Map<string, number>;
  close(): Promise<void>;
}

export type Decide = (ctx: { to: string; index: number; seen: number; req: RecordedRequest }) => FakeResponse | undefined;

function cloudTo(req: RecordedRequest): string {
  const to = (req.json as { to?: unknown } | undefined)?.to;
  return typeof to === 'string' ? `+${to.replace(/^\+/, '')}` : '';
}

export function cloudOk(index: number, to: string): FakeResponse {
  return {
    json: {
      messaging_product: 'whatsapp',
      contacts: [{ input: to, wa_id: to.replace(/^\+/, '') }],
      messages: [{ id: `wamid.E2E${String(index).padStart(6, '0')}`, message_status: 'accepted' }],
    },
  };
}

export function cloudError(code: number, status = 400, message = 'error'): FakeResponse {
  return {
    status,
    json: { error: { message: `(#${code}) ${message}`, type: 'OAuthException', code, fbtrace_id: 'E2Etrace' } },
  };
}

/**
 * `decide` returns the answer for a request (undefined: a normal 200). `seen` is how many
 * requests this recipient had before this one. A response that is not an error status counts as
 * accepted (a hanging or reset request too: the provider may have taken it).
 */
export async function startFakeCloud(decide: Decide = () => undefined, opts: { token?: string; delayMs?: number; health?: FakeServerOptions['health'] } = {}): Promise<FakeCloud> {
  const seen = new Map<string, number>();
  const accepted = new Map<string, number>();
  const server = await startFakeServer((req, index) => {
    const to = cloudTo(req);
    const n = seen.get(to) ?? 0;
    seen.set(to, n + 1);
    const answer = decide({ to, index, seen: n, req }) ?? cloudOk(index, to);
    if ((answer.status ?? 200) < 300) accepted.set(to, (accepted.get(to) ?? 0) + 1);
    return opts.delayMs && !answer.delayMs ? { ...answer, delayMs: opts.delayMs } : answer;
  }, { health: opts.health });
  return {
    server,
    env: {
      WHATSAPP_API_URL: `${server.url}/v23.0`,
      WHATSAPP_TOKEN: opts.token ?? 'e2e-cloud-token-0123456789',
      WHATSAPP_PHONE_NUMBER_ID: '1234567890',
    },
    tos: () => server.requests.map(cloudTo),
    accepted: () => accepted,
    close: () => server.close(),
  };
}

/** Recipients that appear more than once in `list`. */
export function duplicates(counts: Map<string, number>): string[] {
  return [...counts].filter(([, n]) => n > 1).map(([to]) => to);
}
