import { performance } from 'node:perf_hooks';

/** Time source and timers; tests inject a fake one. `now()` is in milliseconds, monotonic. */
export interface GateClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: GateClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => (ms <= 0 ? setImmediate(fn) : setTimeout(fn, ms)),
  clearTimeout: (h) => {
    clearTimeout(h as NodeJS.Timeout);
    clearImmediate(h as NodeJS.Immediate);
  },
};

export interface RateGateOptions {
  /** The hard ceiling: starts per window (`--rate`). */
  rate: number;
  clock?: GateClock;
  /** Default 1000 ms. */
  windowMs?: number;
  /**
   * Extra spacing beyond the window (ms), so that jitter between our start and the server's
   * arrival time (the receiving process descheduled for a moment) cannot squeeze N+1 arrivals
   * into one of the server's 1 s windows. Default 10: costs 1% at a sustained full rate (5 let a 1,001st start into one server-measured window on an idle machine). (Starts
   * are stamped when the request is written.)
   */
  marginMs?: number;
  /** Clean period after which a throttled rate recovers by 10%. Default 10 000 ms. */
  recoverEveryMs?: number;
}

/** A granted start. `start()` re-stamps it with the moment the request really goes out. */
export interface GateSlot {
  readonly at: number;
  start(): void;
}

/** What the dispatcher needs of a gate: the local RateGate, or the store's (src/core/store/rate.ts). */
export interface Gate {
  acquire(signal?: AbortSignal): Promise<GateSlot>;
  throttle(retryAfterMs?: number): number;
  /** Starts in the last window (this process's). */
  readonly recentStarts: number;
  /** Rate currently enforced. */
  readonly rate: number;
}

/**
 * A gate that can no longer grant slots safely (the shared store lost): the dispatcher halts the
 * send resumably with `reason` instead of sending without the ceiling.
 */
export class GateHaltError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'GateHaltError';
  }
}

interface Waiter {
  resolve: (slot: GateSlot) => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/**
 * The exact ceiling of the contract's `--rate`: at most `rate` starts in any window of
 * `windowMs`. A sliding log of the most recent start times (sorted) is kept; a start is due when
 * the rate-th most recent one is at least windowMs + marginMs old. bottleneck's minTime would
 * space starts by 1000/N and let N+1 into a closed 1 s window (shared/style.md §3.3).
 *
 * Waiters are served FIFO; every start whose slot is already due is released in one batch and a
 * single timer is set for the next due slot, so timer granularity costs almost nothing at 1000/s.
 */
export class RateGate implements Gate {
  private readonly clock: GateClock;
  private readonly windowMs: number;
  private readonly marginMs: number;
  private readonly recoverEveryMs: number;
  private ceilingRate: number;
  private effective: number;
  /** Start times, ascending; at most `ceilingRate` kept. */
  private log: number[] = [];
  private queue: Waiter[] = [];
  private timer: unknown = null;
  private timerAt = Infinity;
  private pausedUntil = -Infinity;
  private lastThrottleAt = -Infinity;
  private lastAdjustAt: number;

  constructor(opts: RateGateOptions) {
    if (!(opts.rate >= 1)) throw new RangeError(`rate must be at least 1, got ${opts.rate}`);
    this.clock = opts.clock ?? realClock;
    this.windowMs = opts.windowMs ?? 1000;
    this.marginMs = opts.marginMs ?? 10;
    this.recoverEveryMs = opts.recoverEveryMs ?? 10_000;
    this.ceilingRate = Math.floor(opts.rate);
    this.effective = this.ceilingRate;
    this.lastAdjustAt = this.clock.now();
  }

  /** The configured ceiling (`--rate`). */
  get ceiling(): number {
    return this.ceilingRate;
  }

  /** The rate currently enforced (≤ ceiling; lower after throttling). */
  get rate(): number {
    this.recover(this.clock.now());
    return this.effective;
  }

  /** Starts in the last window. */
  get recentStarts(): number {
    const from = this.clock.now() - this.windowMs;
    let n = 0;
    for (let i = this.log.length - 1; i >= 0 && this.log[i] > from; i--) n++;
    return n;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** When a global pause (Retry-After) ends, in clock ms; -Infinity when none. */
  get pauseEnd(): number {
    return this.pausedUntil;
  }

  /** Sets the enforced rate, clamped to [1, ceiling]. */
  setRate(n: number): void {
    this.effective = Math.max(1, Math.min(this.ceilingRate, Math.floor(n)));
    this.lastAdjustAt = this.clock.now();
    this.pump();
  }

  /** Changes the ceiling itself (never exceeded by recovery). */
  setCeiling(n: number): void {
    if (!(n >= 1)) throw new RangeError(`rate must be at least 1, got ${n}`);
    this.ceilingRate = Math.floor(n);
    if (this.effective > this.ceilingRate) this.effective = this.ceilingRate;
    this.pump();
  }

  /** No one starts before clock time `t` (a Retry-After applies to every sender). */
  pauseUntil(t: number): void {
    if (t > this.pausedUntil) this.pausedUntil = t;
    this.pump();
  }

  /**
   * A throttling signal: halves the enforced rate (floor 1/s) and honours Retry-After globally.
   * Signals within one window of the last one count once, since the in-flight requests that
   * report them were all started at the old rate. Returns the new rate.
   */
  throttle(retryAfterMs?: number): number {
    const now = this.clock.now();
    if (retryAfterMs !== undefined && retryAfterMs > 0) this.pauseUntil(now + retryAfterMs);
    if (now - this.lastThrottleAt >= this.windowMs) {
      this.effective = Math.max(1, Math.floor(this.effective / 2));
    }
    this.lastThrottleAt = now;
    this.lastAdjustAt = now;
    this.pump();
    return this.effective;
  }

  /** +10% per clean recoverEveryMs since the last throttle or adjustment, up to the ceiling. */
  private recover(now: number): void {
    while (this.effective < this.ceilingRate && now - this.lastAdjustAt >= this.recoverEveryMs) {
      this.effective = Math.min(this.ceilingRate, Math.max(this.effective + 1, Math.ceil(this.effective * 1.1)));
      this.lastAdjustAt += this.recoverEveryMs;
    }
  }

  /** Resolves when this caller may start a request; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<GateSlot> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<GateSlot>((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const i = this.queue.indexOf(w);
          if (i >= 0) this.queue.splice(i, 1);
          reject(abortError(signal));
          this.pump();
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.queue.push(w);
      this.pump();
    });
  }

  /** Earliest clock time at which one more start is allowed. */
  private nextDue(now: number): number {
    let due = Math.max(now, this.pausedUntil);
    const r = this.effective;
    if (this.log.length >= r) {
      due = Math.max(due, this.log[this.log.length - r] + this.windowMs + this.marginMs);
    }
    return due;
  }

  private record(t: number): void {
    // Keep ascending order; t is normally ≥ the last entry.
    let i = this.log.length;
    while (i > 0 && this.log[i - 1] > t) i--;
    this.log.splice(i, 0, t);
    if (this.log.length > this.ceilingRate) this.log.splice(0, this.log.length - this.ceilingRate);
  }

  private restamp(from: number, to: number): void {
    if (to <= from) return;
    // Find `from` (search from the end: it is recent) and move it later: the log only gets stricter.
    for (let i = this.log.length - 1; i >= 0; i--) {
      if (this.log[i] === from) {
        this.log.splice(i, 1);
        this.record(to);
        return;
      }
      if (this.log[i] < from) break;
    }
  }

  private pump(): void {
    const now = this.clock.now();
    this.recover(now);
    while (this.queue.length > 0) {
      const due = this.nextDue(now);
      if (due > now) {
        this.arm(due, now);
        return;
      }
      const w = this.queue.shift()!;
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      this.record(now);
      let at = now;
      const slot: GateSlot = {
        get at() {
          return at;
        },
        start: () => {
          const t = this.clock.now();
          this.restamp(at, t);
          at = Math.max(at, t);
        },
      };
      w.resolve(slot);
    }
    this.disarm();
  }

  private arm(due: number, now: number): void {
    if (this.timer !== null && this.timerAt <= due) return;
    this.disarm();
    this.timerAt = due;
    // Sub-millisecond remainders go through setImmediate (0) rather than a 1 ms timer.
    const ms = due - now;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.pump();
      },
      ms < 1 ? 0 : Math.floor(ms),
    );
  }

  private disarm(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
      this.timerAt = Infinity;
    }
  }
}
