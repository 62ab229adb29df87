import { createHash, createHmac, randomBytes } from 'node:crypto';
import { UsageError } from '../../errors.js';
import type { WebhookServer } from '../../webhook/server.js';

/**
 * What a real Cloud API number does after it accepts a message: `sent`, then `delivered` (or
 * `failed`), `read` for some, and now and then a "BAJA" reply. The sandbox posts these as signed
 * Meta webhooks to the real webhook server started in this process, so that verification,
 * parsing, the journal index, the durable append and the opt-out list are those of `campaign webhook`.
 */
export interface SandboxCallbackSettings {
  enabled: boolean;
  /** Share of recipients whose message fails at delivery (131026, undeliverable). */
  undeliverable: number;
  /** Share of recipients who answer "BAJA" (an opt-out). */
  baja: number;
  /** Share of the delivered who read it (read receipts on). */
  read: number;
  /** The time scale: delays below are fractions and multiples of it (0 = at once). */
  delayMs: number;
}

export const DEFAULT_CALLBACKS: SandboxCallbackSettings = { enabled: true, undeliverable: 0.02, baja: 0.005, read: 0.6, delayMs: 1000 };

/**
 * The seed when `--sandbox-faults` gives none: fixed, so the sample shows the same funnel every
 * time, and chosen so that its 40-odd recipients include one undeliverable number and one "BAJA".
 */
export const DEFAULT_CALLBACK_SEED = 1;

const UNDELIVERABLE = { code: 131026, title: 'Message undeliverable', details: 'Unable to deliver message. The recipient may not have WhatsApp or may be on an old version.' };

/**
 * Takes the callback keys of a `--sandbox-faults` item (`undeliverable=0.05`, `baja=0.02`,
 * `read=0.6`, `callbacks=off`, `callback-delay=MS`) into `into`; false when the item is not one.
 */
export function parseCallbackFault(item: string, into: { callbacks?: SandboxCallbackSettings }): boolean {
  const m = /^(undeliverable|baja|read|callbacks|callback-delay)=(.*)$/i.exec(item);
  if (!m) return false;
  const key = m[1].toLowerCase();
  const value = m[2].trim().toLowerCase();
  const cb = (into.callbacks ??= { ...DEFAULT_CALLBACKS });
  const bad = (why: string) => new UsageError(`Invalid sandbox fault "${item}": ${why}.`, {
    hint: 'Use e.g. undeliverable=0.05,baja=0.02,read=0.6,callback-delay=200 or callbacks=off.',
  });
  if (key === 'callbacks') {
    if (value !== 'on' && value !== 'off') throw bad('callbacks is on or off');
    cb.enabled = value === 'on';
  } else if (key === 'callback-delay') {
    if (!/^\d+$/.test(value)) throw bad('callback-delay is a whole number of milliseconds');
    cb.delayMs = Number(value);
  } else {
    if (!/^\d+(?:\.\d+)?$/.test(value) || Number(value) > 1) throw bad('a share is a number between 0 and 1');
    cb[key as 'undeliverable' | 'baja' | 'read'] = Number(value);
  }
  if (cb.undeliverable + cb.baja > 1) throw new UsageError(`Sandbox shares undeliverable=${cb.undeliverable} and baja=${cb.baja} add up to more than 1.`);
  return true;
}

/** A number in [0, 1) fixed by the seed, the recipient and what is decided: the tests can predict it. */
export function seededRoll(seed: number, to: string, what: string): number {
  return createHash('sha256').update(`${seed}\0${to}\0${what}`).digest().readUInt32BE(0) / 2 ** 32;
}

export interface CallbackPlan {
  outcome: 'delivered' | 'failed';
  read: boolean;
  baja: boolean;
  /** Milliseconds after acceptance at which each callback is posted. */
  sentAt: number;
  doneAt: number;
  readAt?: number;
  replyAt?: number;
}

/**
 * Who fails, reads and replies is decided by the recipient number and the seed alone (one roll
 * for the outcome, so undeliverable and baja never overlap); the delays by the same roll's siblings.
 */
export function planCallbacks(to: string, seed: number, s: SandboxCallbackSettings): CallbackPlan {
  const r = (what: string) => seededRoll(seed, to, what);
  const outcome = r('outcome');
  const failed = outcome < s.undeliverable;
  const baja = !failed && outcome < s.undeliverable + s.baja;
  // Someone who answers has read the message.
  const read = !failed && (baja || r('read') < s.read);
  const d = s.delayMs;
  const sentAt = Math.round(d * (0.1 + 0.4 * r('sent-delay')));
  const doneAt = sentAt + Math.round(d * (0.2 + 1.5 * r('done-delay')));
  const readAt = read ? doneAt + Math.round(d * (1 + 3 * r('read-delay'))) : undefined;
  const replyAt = baja ? readAt! + Math.round(d * (0.3 + 1.2 * r('reply-delay'))) : undefined;
  return { outcome: failed ? 'failed' : 'delivered', read, baja, sentAt, doneAt, readAt, replyAt };
}

const digits = (to: string) => to.replace(/^\+/, '');

function envelope(value: Record<string, unknown>): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: 'SANDBOX_WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550000000', phone_number_id: 'SANDBOX' }, ...value } }] }],
  };
}

/** A Meta `statuses[]` webhook for one message (providers.md §1.8, schema `Statuses`). */
export function statusPayload(m: { id: string; to: string; correlation?: string }, status: 'sent' | 'delivered' | 'read' | 'failed', at: Date): Record<string, unknown> {
  const s: Record<string, unknown> = { id: m.id, status, timestamp: String(Math.floor(at.getTime() / 1000)), recipient_id: digits(m.to) };
  if (m.correlation) s.biz_opaque_callback_data = m.correlation;
  if (status === 'failed') {
    s.errors = [{ code: UNDELIVERABLE.code, title: UNDELIVERABLE.title, message: UNDELIVERABLE.title, error_data: { details: UNDELIVERABLE.details }, href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/' }];
  } else {
    s.conversation = { id: `SANDBOXCONV${createHash('sha256').update(m.to).digest('hex').slice(0, 16)}`, origin: { type: 'marketing' } };
    s.pricing = { billable: true, pricing_model: 'PMP', category: 'marketing' };
  }
  return envelope({ statuses: [s] });
}

/** A Meta `messages[]` webhook: the recipient's text reply to message `m`. */
export function replyPayload(m: { id: string; to: string }, text: string, at: Date): Record<string, unknown> {
  const from = digits(m.to);
  return envelope({
    contacts: [{ profile: { name: 'Sandbox recipient' }, wa_id: from }],
    messages: [{ from, id: `wamid.SANDBOXIN${randomBytes(8).toString('hex')}`, timestamp: String(Math.floor(at.getTime() / 1000)), type: 'text', text: { body: text }, context: { from: '15550000000', id: m.id } }],
  });
}

export interface SandboxCallbacksOptions {
  /** The running send's journal and working directory (`.campaign/optouts.txt` goes there). */
  journal: string;
  cwd: string;
  /** `--store`: opt-outs go to the shared store, as with `campaign webhook --store`. */
  store?: string;
  /**
   * Where the user-level opt-out mirror is (CAMPAIGN_HOME, XDG_STATE_HOME, HOME). A send passes
   * none: the sandbox's made-up opt-outs stay in the folder, as its history does, so the sample
   * tried in a second folder starts clean and no real list gets a simulated opt-out.
   */
  env?: Record<string, string | undefined>;
  settings: SandboxCallbackSettings;
  seed: number;
  /** Lines worth showing (a callback that could not be recorded); never a secret. */
  log?: (line: string) => void;
}

export interface SandboxCallbacks {
  /** A message the sandbox accepted: its callbacks are scheduled now. */
  accepted(m: { id: string; to: string; correlation?: string }): void;
  /**
   * Waits for the callbacks still due (not past `maxWaitMs`, and not once `signal` aborts);
   * `onWait` hears the seconds first. Callbacks not yet posted then are dropped.
   */
  /**
   * Waits for the callbacks still due (at most maxWaitMs, default 60 s; `signal` ends it); resolves
   * with how many were still due when the wait ended (0 when all were posted).
   */
  settle(opts: { signal?: AbortSignal; maxWaitMs?: number; onWait?: (seconds: number) => void }): Promise<number>;
  close(): Promise<void>;
}

/** Posts in flight at once. */
const MAX_IN_FLIGHT = 4;

const STATE_VARS = ['CAMPAIGN_HOME', 'XDG_STATE_HOME', 'HOME'];

function pick(env: Record<string, string | undefined>, keys: string[]): Record<string, string | undefined> {
  return Object.fromEntries(keys.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
}

export function createSandboxCallbacks(opts: SandboxCallbacksOptions): SandboxCallbacks {
  // Per run: the webhook server is only reachable from this process's posts that know it.
  const secret = randomBytes(32).toString('hex');
  const log = opts.log ?? (() => {});
  let server: Promise<WebhookServer> | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const posting = new Set<Promise<void>>();
  let lastDue = 0;
  let closed = false;

  const start = () =>
    // Imported when first needed: webhook/ reaches the provider registry, which imports this folder.
    (server ??= import('../../webhook/server.js').then(({ startWebhookServer }) => startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      journals: [opts.journal],
      cwd: opts.cwd,
      // Only what locates the state directories: no other credential of the run goes near it.
      env: { ...pick(opts.env ?? {}, STATE_VARS), WHATSAPP_APP_SECRET: secret },
      ...(opts.store ? { store: opts.store } : {}),
      // Its notes (each opt-out, ...) are what the report shows afterwards; only failures are said.
      log: (line) => {
        if (/could not record|server error|changed while/.test(line)) log(`sandbox callbacks: ${line}`);
      },
    })));

  const post = async (payload: Record<string, unknown>): Promise<void> => {
    const body = JSON.stringify(payload);
    const { url } = await start();
    for (let tries = 0; tries < 3; tries++) {
      const res = await fetch(`${url}/webhooks/cloud`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
        body,
      }).catch(() => undefined);
      await res?.text().catch(() => undefined);
      // A 5xx is what makes Meta retry: the journal could not be written this time.
      if (res && res.status < 500) return;
    }
  };

  // Due callbacks wait here for one of a few connections: the webhook writes each durably, and
  // a flood of posts would slow the send itself (same process, same disk), as it would not at Meta.
  const ready: (() => Record<string, unknown>)[] = [];
  const pump = () => {
    while (!closed && posting.size < MAX_IN_FLIGHT && ready.length > 0) {
      const payload = ready.shift()!;
      const p = post(payload()).catch((err: unknown) => log(`sandbox callbacks: ${(err as Error).message}`));
      posting.add(p);
      void p.finally(() => {
        posting.delete(p);
        pump();
      });
    }
  };

  const schedule = (ms: number, payload: () => Record<string, unknown>) => {
    lastDue = Math.max(lastDue, Date.now() + ms);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (closed) return;
      ready.push(payload);
      pump();
    }, ms);
    timers.add(timer);
  };
  const idle = () => timers.size === 0 && ready.length === 0 && posting.size === 0;

  return {
    accepted(m) {
      if (closed || !opts.settings.enabled) return;
      void start();
      const plan = planCallbacks(m.to, opts.seed, opts.settings);
      schedule(plan.sentAt, () => statusPayload(m, 'sent', new Date()));
      schedule(plan.doneAt, () => statusPayload(m, plan.outcome, new Date()));
      if (plan.readAt !== undefined) schedule(plan.readAt, () => statusPayload(m, 'read', new Date()));
      if (plan.replyAt !== undefined) schedule(plan.replyAt, () => replyPayload(m, 'BAJA', new Date()));
    },
    async settle({ signal, maxWaitMs = 60_000, onWait }) {
      if (idle()) return 0;
      const waitMs = Math.min(maxWaitMs, Math.max(0, lastDue - Date.now()));
      if (signal?.aborted) return ready.length + timers.size;
      // Thousands still to post take longer than the last one's due time: the webhook writes
      // about a hundred a second durably (measured on a laptop disk; only the shown wait depends on it).
      const queuedMs = Math.ceil((ready.length + timers.size) / 100) * 1000;
      onWait?.(Math.min(Math.ceil(maxWaitMs / 1000), Math.max(1, Math.ceil(Math.max(waitMs, queuedMs) / 1000))));
      const deadline = Date.now() + maxWaitMs;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearInterval(check);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const check = setInterval(() => {
          if (idle() || Date.now() > deadline) done();
        }, 50);
        signal?.addEventListener('abort', done, { once: true });
      });
      // What was being posted when the wait ended is let finish: its line is whole or absent anyway.
      await Promise.all([...posting]);
      return ready.length + timers.size;
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      ready.length = 0;
      await Promise.all([...posting]);
      if (server) await (await server).close();
    },
  };
}
