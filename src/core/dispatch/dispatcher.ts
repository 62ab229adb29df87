import { setMaxListeners } from 'node:events';
import type { JournalEvent } from '../journal/format.js';
import type { JournalWriter } from '../journal/writer.js';
import type { OutboundMessage, Provider, SendContext, SendResult } from '../providers/types.js';
import { DailyCounter } from './daily-limit.js';
import { GateHaltError, type Gate, type GateSlot } from './rate-gate.js';
import { isOpen, nextOpen, type SendWindow } from './send-window.js';
import { sleep as defaultSleep } from '../sleep.js';
import { isoPerMs } from '../iso-time.js';

export interface WorkItem {
  /** E.164 with `+`. */
  to: string;
  /** 1-based line in the contacts file. */
  line: number;
  message: OutboundMessage;
  /** Recipient-local zone for the send window; overrides opts.window.tz. */
  tz?: string;
}

export interface DispatchOptions {
  /** Requests in flight at most (`--concurrency`). */
  concurrency: number;
  /** Retries of a `retry`-class error before `failed` (permanent: false). Default 5. */
  maxRetries?: number;
  /** Full-jitter exponential backoff: base and cap (ms). Defaults 500 and 30 000. */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** Error budget: halt when failures / outcomes in the last `failureWindow` exceed this. Default 0.2. */
  maxFailureRate?: number;
  /** Default 50. */
  failureWindow?: number;
  /** Outcomes needed before the budget is judged. Default 20 (or failureWindow if smaller). */
  minFailureSample?: number;
  /** `--daily-limit`: distinct recipients in any rolling 24 h. */
  dailyLimit?: number;
  /** Earlier runs' recipients, one time each (send.ts recentRecipients), or a function counting them at `now`. */
  sentInLast24h?: Iterable<number | Date> | ((now: Date) => number);
  /**
   * The 24 h limit counted elsewhere (the shared store): admits `to` atomically or says when a
   * slot frees up. Used instead of `sentInLast24h`; a GateHaltError from it halts the send.
   */
  dailyAdmit?: (to: string) => Promise<{ ok: true } | { ok: false; until: Date }>;
  /** `--window` / `--tz`. */
  window?: SendWindow;
  /** Outside the window: wait (default) or stop resumably (false). */
  windowWait?: boolean;
  /** For tests: [0, 1) jitter source. */
  random?: () => number;
  /** Checked right before each attempt: a reason (e.g. `opted-out`) skips the recipient instead. */
  skipReason?: (item: WorkItem) => string | null;
}

export interface DispatchDeps {
  provider: Provider;
  journal: JournalWriter;
  gate: Gate;
  now?: () => Date;
  /** For tests: how the dispatcher waits (backoff, window). Must reject when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export type DispatchEventType = 'sent' | 'failed' | 'retry' | 'uncertain' | 'throttle' | 'halt' | 'waiting' | 'deferred';

export interface DispatchEvent {
  type: DispatchEventType;
  to?: string;
  code?: string;
  /** Requests between slot and outcome (including backoff waits). */
  inFlight: number;
  /** Starts in the last second. */
  rate: number;
  /** Rate the gate enforces now (lower than --rate after throttling). */
  limit: number;
  /** Recipients held back until their local window opens. */
  deferred: number;
  /** When the earliest of them can go (present while `deferred` > 0). */
  deferredUntil?: Date;
  /** halt / waiting: why. */
  reason?: string;
  /** waiting, or a resumable halt: when sending can go on. */
  until?: Date;
  /** retry: the backoff chosen. */
  delayMs?: number;
  permanent?: boolean;
}

export interface DispatchResult {
  sent: number;
  failed: number;
  uncertain: number;
  /** Retries scheduled (retry-class errors that were tried again). */
  retried: number;
  optedOut: number;
  halted?: { reason: string; code?: string };
  interrupted: boolean;
  paused?: { reason: 'daily-limit' | 'window'; until: Date };
  failuresByCode: Record<string, number>;
}

/**
 * Recipients whose local window is closed, ordered by when it opens (a binary heap): the queue
 * goes on with everyone else and picks them up then. Items only, never rows: a list whose whole
 * remainder is outside its window stops being pulled at MAX_DEFERRED and waits.
 */
class DeferredQueue {
  private heap: { at: number; seq: number; item: WorkItem }[] = [];
  private seq = 0;
  get size(): number {
    return this.heap.length;
  }
  get nextAt(): number {
    return this.heap.length ? this.heap[0].at : Infinity;
  }
  push(at: number, item: WorkItem): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, item });
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[parent], h[i]] = [h[i], h[parent]];
      i = parent;
    }
  }
  pop(): WorkItem | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top.item;
  }
}

/** Earlier opening first; the same opening in list order. */
const before = (a: { at: number; seq: number }, b: { at: number; seq: number }) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** Deferred recipients held in memory at most; past it the source waits for the earliest window. */
const MAX_DEFERRED = 100_000;

function toIterator(items: AsyncIterable<WorkItem> | Iterable<WorkItem>): AsyncIterator<WorkItem> | Iterator<WorkItem> {
  return Symbol.asyncIterator in items
    ? (items as AsyncIterable<WorkItem>)[Symbol.asyncIterator]()
    : (items as Iterable<WorkItem>)[Symbol.iterator]();
}

/**
 * Sends each item through the rate gate with at most `concurrency` in flight: the `attempt` line
 * is on disk before the request starts; the outcome follows it. Classes (providers.md): retry →
 * backoff and a new attempt; defer-contact / fail-contact → failed; suppress → failed + optout;
 * stop → halt (drain in-flight); unknown → no outcome (uncertain), never retried.
 * A halt, a pause or an abort stops scheduling at once and drains what is in flight.
 * With a window, a recipient whose local window is closed is deferred to when it opens and the
 * others go on; only when everyone left is deferred does the send wait (or pause resumably).
 */
export async function dispatch(
  items: AsyncIterable<WorkItem> | Iterable<WorkItem>,
  deps: DispatchDeps,
  opts: DispatchOptions,
  signal: AbortSignal,
  onEvent?: (e: DispatchEvent) => void,
): Promise<DispatchResult> {
  const { provider, journal, gate } = deps;
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  const concurrency = Math.max(1, Math.floor(opts.concurrency));
  const maxRetries = opts.maxRetries ?? 5;
  const baseMs = opts.retryBaseMs ?? 500;
  const capMs = opts.retryCapMs ?? 30_000;
  const maxFailureRate = opts.maxFailureRate ?? 0.2;
  const failureWindow = Math.max(1, opts.failureWindow ?? 50);
  const minSample = Math.min(failureWindow, opts.minFailureSample ?? 20);

  const result: DispatchResult = { sent: 0, failed: 0, uncertain: 0, retried: 0, optedOut: 0, interrupted: false, failuresByCode: {} };
  // Stops scheduling: halts, pauses and the caller's abort all land here.
  const stop = new AbortController();
  // Every waiter for a slot listens on it: up to `concurrency` at once, well past Node's warning at 10.
  setMaxListeners(0, stop.signal);
  let fatal: unknown = null;
  let inFlight = 0;
  const tasks = new Set<Promise<void>>();
  let slotWaiter: (() => void) | null = null;
  const outcomes: boolean[] = [];
  let windowFailures = 0;

  const daily =
    opts.dailyLimit !== undefined && typeof opts.sentInLast24h !== 'function' ? new DailyCounter(opts.sentInLast24h ?? []) : null;
  const dailyFn = typeof opts.sentInLast24h === 'function' ? opts.sentInLast24h : null;
  let startedThisRun = 0;
  let stopScheduling = false;

  const deferred = new DeferredQueue();
  const iso = isoPerMs(now);
  const emit = (e: Omit<DispatchEvent, 'inFlight' | 'rate' | 'limit' | 'deferred'>) => {
    if (!onEvent) return;
    try {
      // `e` is always a fresh literal: filling it in spares a copy per event (several per request).
      const ev = e as DispatchEvent;
      ev.inFlight = inFlight;
      ev.rate = gate.recentStarts;
      ev.limit = gate.rate;
      ev.deferred = deferred.size;
      if (deferred.size) ev.deferredUntil = new Date(deferred.nextAt);
      onEvent(ev);
    } catch {
      // A progress display must never break a send.
    }
  };
  const wake = () => {
    const w = slotWaiter;
    slotWaiter = null;
    w?.();
  };
  const onAbort = () => {
    result.interrupted = true;
    stop.abort(new DOMException('interrupted', 'AbortError'));
    wake();
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });

  const append = (e: JournalEvent) => {
    try {
      journal.append(e);
    } catch (err) {
      fatal ??= err;
      stop.abort(err);
    }
  };

  const halt = (reason: string, code?: string, to?: string, detail?: string) => {
    if (result.halted || result.paused) return;
    result.halted = code === undefined ? { reason } : { reason, code };
    append({ type: 'halt', at: iso(), reason, ...(code !== undefined ? { code } : {}), ...(to ? { to } : {}), ...(detail ? { detail } : {}) });
    emit({ type: 'halt', reason, code, to });
    stop.abort(new DOMException(`halted: ${reason}`, 'AbortError'));
    wake();
  };

  const pause = (reason: 'daily-limit' | 'window', until: Date) => {
    if (result.halted || result.paused) return;
    result.paused = { reason, until };
    append({ type: 'pause', at: iso(), reason, until: until.toISOString() });
    emit({ type: 'halt', reason, until });
    // The daily limit admitted the recipients already in flight: they still go (waiting for a rate
    // slot is no reason to drop them), so the limit is reached rather than missed by `concurrency`.
    if (reason === 'daily-limit') stopScheduling = true;
    else stop.abort(new DOMException(`paused: ${reason}`, 'AbortError'));
    wake();
  };

  /** Error budget over the last `failureWindow` outcomes (listmonk's MaxSendErrors, as a rate). */
  // The code of the latest failure, so that a failure-rate halt says what kept failing.
  let lastFailureCode: string | undefined;
  const recordOutcome = (failure: boolean, code?: string) => {
    outcomes.push(failure);
    if (failure) {
      windowFailures++;
      if (code !== undefined) lastFailureCode = code;
    }
    if (outcomes.length > failureWindow && outcomes.shift()) windowFailures--;
    if (outcomes.length >= minSample && windowFailures / outcomes.length > maxFailureRate) {
      halt('failure-rate', lastFailureCode);
    }
  };

  const fail = (item: WorkItem, res: { code: string; class: string; message?: string }, permanent: boolean, countsAsFailure: boolean) => {
    append({
      type: 'failed',
      to: item.to,
      at: iso(),
      code: res.code,
      permanent,
      class: res.class,
      ...(res.message ? { message: res.message.slice(0, 200) } : {}),
    });
    result.failed++;
    result.failuresByCode[res.code] = (result.failuresByCode[res.code] ?? 0) + 1;
    emit({ type: 'failed', to: item.to, code: res.code, permanent });
    recordOutcome(countsAsFailure, res.code);
  };

  const runItem = async (item: WorkItem): Promise<void> => {
    let n = 0;
    let last: Extract<SendResult, { ok: false }> | null = null;
    for (;;) {
      let slot: GateSlot;
      try {
        slot = await gate.acquire(stop.signal);
      } catch (err) {
        if (err instanceof GateHaltError) halt(err.reason, undefined, undefined, err.message);
        // Stopped before this try started: a first try leaves the recipient pending; a retry had a definite error.
        if (last) fail(item, last, false, false);
        return;
      }
      // Last look before the request: someone may have opted out since the item was queued.
      const skip = opts.skipReason?.(item);
      if (skip) {
        // The grant is given up unused; counting it as a start now is the safe side of the ceiling
        // (and it has its "answer" at once: nothing was sent).
        slot.start();
        slot.done?.();
        append({ type: 'skipped', to: item.to, at: iso(), reason: skip, line: item.line });
        return;
      }
      n++;
      await journal.attempt({ type: 'attempt', to: item.to, at: iso(), line: item.line, n });
      // The request goes out now: re-stamp the slot so journal latency cannot bunch arrivals. It
      // stays held (it cannot age out) until the provider reports the write: the request may
      // still wait for a free socket, and a grant ageing out meanwhile let a 1,001st in.
      if (slot.mark) slot.mark();
      else slot.start();
      // A slot granted early (its fsync overlapped the wait for it) goes when it falls due. A
      // provider that writes at the due time (writesAtDue) gets the hold itself, so the request's
      // body and socket are ready when it ends rather than made after it: that delay would be
      // stamped on every start and add to every window's cycle at the ceiling.
      const early = slot.untilDue?.();
      const heldByProvider = early !== undefined && provider.writesAtDue === true;
      if (early && !heldByProvider) await early;
      let res: SendResult;
      try {
        // A provider that can tell when the request bytes were handed to the socket calls this:
        // connection setup then cannot bunch arrivals at the server either.
        const ctx: SendContext = { onRequestWritten: () => slot.start(), notBefore: heldByProvider ? early : undefined };
        res = await provider.send(item.message, ctx);
      } catch (err) {
        res = { ok: false, class: 'unknown', code: 'exception', message: String((err as Error)?.message ?? err).slice(0, 200) };
      } finally {
        slot.done?.();
      }
      if (res.ok) {
        append({ type: 'sent', to: item.to, at: iso(), id: res.id });
        result.sent++;
        emit({ type: 'sent', to: item.to });
        recordOutcome(false);
        return;
      }
      if (res.throttle) {
        gate.throttle(res.retryAfterMs);
        emit({ type: 'throttle', to: item.to, code: res.code });
      }
      switch (res.class) {
        case 'retry': {
          if (n > maxRetries) {
            fail(item, res, false, true);
            return;
          }
          last = res;
          // Full jitter (AWS architecture blog), never sooner than the provider's Retry-After.
          const delayMs = Math.max(res.retryAfterMs ?? 0, Math.floor(random() * Math.min(capMs, baseMs * 2 ** (n - 1))));
          result.retried++;
          emit({ type: 'retry', to: item.to, code: res.code, delayMs });
          try {
            await sleep(delayMs, stop.signal);
          } catch {
            fail(item, res, false, false);
            return;
          }
          continue;
        }
        case 'defer-contact':
          fail(item, res, false, true);
          return;
        case 'fail-contact':
          fail(item, res, true, true);
          return;
        case 'suppress':
          fail(item, res, true, false);
          append({ type: 'optout', to: item.to, at: iso(), source: `provider:${res.code}` });
          result.optedOut++;
          return;
        case 'stop':
          // Not this recipient's fault: resume sends to them once the account or config is fixed.
          fail(item, res, false, false);
          halt('provider-stop', res.code, item.to);
          return;
        case 'unknown':
        default:
          // The provider may have accepted it: leave the attempt without an outcome. It still
          // counts against the error budget: a gateway answering 502 to everything must halt.
          result.uncertain++;
          emit({ type: 'uncertain', to: item.to, code: res.code });
          recordOutcome(true, res.code);
          return;
      }
    }
  };

  const iterator = toIterator(items);
  let sourceDone = false;
  try {
    schedule: while (!stop.signal.aborted && !stopScheduling) {
      if (inFlight >= concurrency) {
        await new Promise<void>((resolve) => {
          slotWaiter = resolve;
        });
        continue;
      }
      // Recipients whose window has opened go first: they have waited longest.
      let item: WorkItem | undefined;
      if (deferred.size && deferred.nextAt <= now().getTime()) item = deferred.pop();
      else if (!sourceDone && deferred.size < MAX_DEFERRED) {
        const next = await iterator.next();
        if (stop.signal.aborted) break;
        if (next.done) sourceDone = true;
        else item = next.value;
      }
      if (!item) {
        if (!deferred.size) break;
        // Everyone left is outside their window: wait for the first to open, or stop resumably.
        const until = new Date(deferred.nextAt);
        if (opts.windowWait === false) {
          pause('window', until);
          break;
        }
        emit({ type: 'waiting', reason: 'window', until });
        try {
          await sleep(Math.max(0, until.getTime() - now().getTime()), stop.signal);
        } catch {
          break schedule;
        }
        continue;
      }

      if (opts.window) {
        const tz = item.tz ?? opts.window.tz;
        const t = now();
        if (!isOpen(t, opts.window, tz)) {
          const opens = nextOpen(t, opts.window, tz).getTime();
          // A minute ahead when nextOpen has no answer (it then says "now"): never spin on one item.
          const until = opens > t.getTime() ? opens : t.getTime() + 60_000;
          deferred.push(until, item);
          emit({ type: 'deferred', to: item.to, until: new Date(until) });
          continue;
        }
      }

      if (opts.dailyLimit !== undefined && opts.dailyAdmit) {
        let v: Awaited<ReturnType<typeof opts.dailyAdmit>>;
        try {
          v = await opts.dailyAdmit(item.to);
        } catch (err) {
          if (!(err instanceof GateHaltError)) throw err;
          halt(err.reason, undefined, undefined, err.message);
          break;
        }
        if (!v.ok) {
          pause('daily-limit', v.until);
          break;
        }
      } else if (opts.dailyLimit !== undefined) {
        const t = now();
        const count = daily ? daily.count(t.getTime()) : dailyFn!(t) + startedThisRun;
        if (count >= opts.dailyLimit) {
          // A counting function cannot say when a slot frees up: check again in an hour.
          const until = daily ? new Date(daily.freeAt(t.getTime(), opts.dailyLimit)) : new Date(t.getTime() + 3_600_000);
          pause('daily-limit', until);
          break;
        }
        daily?.add(t.getTime());
      }
      startedThisRun++;

      inFlight++;
      const task: Promise<void> = runItem(item)
        .catch((err) => {
          // The journal could not be written: nothing more may be sent.
          fatal ??= err;
          stop.abort(err);
        })
        .finally(() => {
          inFlight--;
          tasks.delete(task);
          wake();
        });
      tasks.add(task);
    }
  } finally {
    try {
      await (iterator as AsyncIterator<WorkItem>).return?.();
    } catch {
      // The source's own cleanup failing does not change what was sent.
    }
    // Drain: in-flight requests finish and their outcomes are journaled.
    while (tasks.size > 0) await Promise.allSettled([...tasks]);
    // Still listening to the caller's signal while draining: a second Ctrl-C cuts backoffs short.
    signal.removeEventListener('abort', onAbort);
    try {
      await journal.flush();
    } catch (err) {
      fatal ??= err;
    }
  }
  if (fatal) throw fatal;
  return result;
}
