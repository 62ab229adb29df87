import { closeSync, openSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Time source and timers; tests inject a fake one. `now()` is in milliseconds, monotonic. */
export interface GateClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  /**
   * A timer that may fire late but never needs a busy wait (the holds of early grants: a request
   * let go up to a millisecond late costs ~0.05% of the ceiling; spinning for it cost a wake-up
   * per turn of the event loop). Default: setTimeout.
   */
  setTimeoutLate?(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Milliseconds this thread has so far spent runnable but waiting for a CPU (monotonic), or NaN
   * where the OS does not tell; without it every millisecond a timer fires late counts as load.
   */
  cpuWaitMs?(): number;
}

/**
 * The calling thread's run-queue wait from Linux's /proc/thread-self/schedstat (its second field,
 * in ns; one pread of an fd kept open, under a microsecond), or undefined elsewhere.
 */
export function schedstatWait(file = '/proc/thread-self/schedstat'): (() => number) | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  const buf = Buffer.alloc(96);
  const read = (): number => {
    try {
      const n = readSync(fd, buf, 0, buf.length, 0);
      const text = buf.toString('latin1', 0, n);
      const a = text.indexOf(' ');
      const b = text.indexOf(' ', a + 1);
      return Number(text.slice(a + 1, b < 0 ? undefined : b)) / 1e6;
    } catch {
      return NaN;
    }
  };
  // A kernel that keeps no sched_info prints "0 0 0" (no time on a CPU for this running thread):
  // its wait would read 0 for ever and take every lateness sample to 0, no load signal at all.
  const wait = read();
  if (!Number.isFinite(wait) || !(Number(buf.toString('latin1', 0, buf.indexOf(' ')).trim()) > 0)) {
    closeSync(fd);
    return undefined;
  }
  return read;
}

/** Opened on first use, so that it is the gate's thread (the main one) that is read. */
let waitProbe: (() => number) | null | undefined;

export const realClock: GateClock = {
  now: () => performance.now(),
  // Sub-millisecond waits go through setImmediate rather than a 1 ms timer; others are floored
  // (a timer then fires a little early rather than late, and the caller looks at the clock again).
  setTimeout: (fn, ms) => (ms < 1 ? setImmediate(fn) : setTimeout(fn, Math.floor(ms))),
  setTimeoutLate: (fn, ms) => setTimeout(fn, Math.max(1, Math.ceil(ms))),
  clearTimeout: (h) => {
    clearTimeout(h as NodeJS.Timeout);
    clearImmediate(h as NodeJS.Immediate);
  },
  cpuWaitMs: () => (waitProbe === undefined ? (waitProbe = schedstatWait() ?? null) : waitProbe)?.() ?? NaN,
};

export interface RateGateOptions {
  /** The hard ceiling: starts per window (`--rate`). */
  rate: number;
  clock?: GateClock;
  /** Default 1000 ms. */
  windowMs?: number;
  /**
   * A fixed spacing beyond the window (ms), instead of the adaptive one (`margin`). The virtual
   * clock of --dry-run passes 0; tests pass fixed values.
   */
  marginMs?: number;
  /** The adaptive margin's tuning, when `marginMs` is not given. */
  margin?: AdaptiveMarginOptions;
  /**
   * A granted slot counts as starting *now* until its `start()` is called: a request held up
   * between the grant and its write (a journal fsync slowed by a busy disk) must not let its
   * grant age out while it has not gone yet. The dispatcher always calls start(); tests of the
   * bare rule leave this off. Default false.
   */
  holdUntilStart?: boolean;
  /**
   * The caller reports every written request's answer (`done()`), as the dispatcher does: until
   * a request's answer comes, lateRead may still move its stamp on (by up to LATE_READ_CAP_MS), so
   * no due time is set from a stamp that such a move could change. Without it an answer slower
   * than a window came after its stamp had been used (fake time: a stalled burst answered 1.5 s
   * late let 1,040 into a second). The adaptive margin then follows the answers' round trips, not
   * the gate's timers (see lateRead). Needs `holdUntilStart`. Default false.
   */
  awaitAnswers?: boolean;
  /**
   * Grant a slot up to the measured time its caller takes to be ready (grant to `mark()`: the
   * attempt line's group-committed fdatasync) before the slot falls due; the caller then waits
   * for `untilDue()` before its request goes. The fsync then overlaps the wait for the slot
   * instead of adding to every window's cycle. The start is recorded at the due time, never
   * earlier. Needs `holdUntilStart` (the dispatcher's gate). Default: on with `holdUntilStart`.
   */
  admitEarly?: boolean;
  /** Clean period after which a throttled rate recovers by 10%. Default 10 000 ms. */
  recoverEveryMs?: number;
}

/** A granted start. `start()` re-stamps it with the moment the request really goes out. */
export interface GateSlot {
  readonly at: number;
  /** The request's last byte went to the socket now: the final stamp. */
  start(): void;
  /**
   * The request is about to go (its attempt line is on disk): re-stamp it now but keep it held
   * until start() or done(), since the write itself may still wait for a socket.
   */
  mark?(): void;
  /**
   * The request is over (its answer came, or it failed): a slot still held (the provider never
   * reported the write) keeps its last stamp; a slow answer moves a written one on (lateRead).
   */
  done?(): void;
  /**
   * A slot granted before it falls due (`admitEarly`): a promise that resolves at its due time,
   * or undefined when it is already due. The request must not go before.
   */
  untilDue?(): Promise<void> | undefined;
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

export interface AdaptiveMarginOptions {
  /** Never less than this (ms): loopback and kernel jitter on an idle machine. Default 2 (the gate's is GATE_FLOOR_MS). */
  floorMs?: number;
  /** Never more than this (ms): a stalled process costs throughput, not a frozen send. Default 500. */
  maxMs?: number;
  /** Margin = floor + factor × the recent high percentile of lateness. Default 2. */
  factor?: number;
  /** Which percentile of the recent samples. Default 0.99. */
  percentile?: number;
  /** Recent samples kept. Default 512 (about half a second at 1000/s). */
  samples?: number;
  /** Time for the margin's excess over its target to halve once the machine calms. Default 10 000 ms. */
  halfLifeMs?: number;
}

/**
 * The spacing the gate adds beyond the window, from measured lateness (how late the gate's timer
 * fired against its due time). Why: the provider sees a request some time after we stamp it, and
 * that delay varies with load — on a busy machine both our event loop and the receiving side are
 * descheduled for longer, so two starts 1 s + 10 ms apart can arrive less than 1 s apart. Our own
 * timer lateness is the load signal we can measure (where Linux tells it, only the part spent
 * waiting for a CPU: RateGate.observeLateness); the margin follows a high percentile of it,
 * rising at once and decaying slowly, so load costs throughput and never the ceiling.
 */
export class AdaptiveMargin {
  private readonly floorMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly rank: number;
  private readonly halfLifeMs: number;
  private readonly ring: Float64Array;
  private readonly scratch: Float64Array;
  private count = 0;
  private next = 0;
  private dirty = 0;
  private target: number;
  private level: number;
  private levelAt = -Infinity;

  constructor(opts: AdaptiveMarginOptions = {}) {
    this.floorMs = opts.floorMs ?? 2;
    this.maxMs = opts.maxMs ?? 500;
    this.factor = opts.factor ?? 2;
    const size = Math.max(1, Math.floor(opts.samples ?? 512));
    this.rank = Math.min(1, Math.max(0, opts.percentile ?? 0.99));
    this.halfLifeMs = opts.halfLifeMs ?? 10_000;
    this.ring = new Float64Array(size);
    this.scratch = new Float64Array(size);
    this.target = this.floorMs;
    this.level = this.floorMs;
  }

  /** The margin's least value (ms). */
  get floor(): number {
    return this.floorMs;
  }

  /** One lateness sample (ms, negative counts as 0) observed at clock time `now`. */
  observe(lateMs: number, now: number): void {
    const v = lateMs > 0 ? lateMs : 0;
    this.ring[this.next] = v;
    this.next = (this.next + 1) % this.ring.length;
    if (this.count < this.ring.length) this.count++;
    // For a high percentile a sample above the current target refreshes it at once (a few such
    // samples move it); otherwise, and always for a low one (most samples are above it), the
    // percentile is refreshed every 32 samples (a sort of ≤ 512 numbers), cheap at 1000 starts/s.
    if ((this.rank >= 0.5 && this.floorMs + this.factor * v > this.target) || ++this.dirty >= 32) this.refresh();
    this.value(now);
  }

  private refresh(): void {
    this.dirty = 0;
    const n = this.count;
    const s = this.scratch.subarray(0, n);
    s.set(this.ring.subarray(0, n));
    s.sort();
    const p = s[Math.min(n - 1, Math.floor(this.rank * n))];
    this.target = Math.min(this.maxMs, this.floorMs + this.factor * p);
  }

  /** The margin (ms) at clock time `now`. */
  value(now: number): number {
    if (this.target >= this.level) {
      this.level = this.target;
    } else if (now > this.levelAt) {
      const dt = this.levelAt === -Infinity ? 0 : now - this.levelAt;
      this.level = this.target + (this.level - this.target) * 2 ** (-dt / this.halfLifeMs);
    }
    this.levelAt = Math.max(this.levelAt, now);
    return this.level;
  }
}

/**
 * The most an early grant may precede its due time (ms). Beyond it a slow disk costs throughput.
 * It must stay well under half a window: a held grant older than that is moved to now before any
 * grant is decided, so only final (written) stamps can ever set a due time.
 */
const MAX_LEAD_MS = 30;

/**
 * The gate's margin floor (ms): loopback and kernel jitter, and the jitter of the provider's own
 * answer path, which the round-trip correction (lateRead) cannot tell from a late read. It was
 * 4 ms before lateRead (at 2 ms then, one idle run let 1,001 into a second at a local stand-in:
 * the closest start i → i+1000 was 0.6 ms under 1 s); with lateRead, runs at 2 ms held 1,000
 * idle and beside a busy loop per core, the closest start i → i+1000 0.3-4.8 ms over 1 s.
 */
export const GATE_FLOOR_MS = 2;

/** How much sooner than its lead an early grant may be given (ms): the real timer's rounding. */
const EARLY_SLACK_MS = 1;

/**
 * Once a pump grants a slot (early grants on: admitEarly), it also grants those falling due up to
 * this much later (ms, at most a hundredth of the window): their attempt lines then share one
 * write and fdatasync. At --rate 1000 one sync a grant came to ~220 syncs a second, 4.5 attempts
 * each, and the thread pool's write + fdatasync to ~30 µs of CPU a request; 10 ms batches came to
 * ~57 a second, 17.5 each. A crash can then leave ~10 more attempts (at 1000/s) without their
 * request: uncertain, never resent. At 20/s or 80/s slots are further apart and nothing changes.
 */
const GRANT_BATCH_MS = 10;

/** The most a slow answer moves a stamp on (lateRead). */
const LATE_READ_CAP_MS = 250;
/**
 * Answers kept for the least round trip (lateRead): at least this many, and at least two windows'
 * worth at the ceiling. A quarter of a second at 1000/s was too short: a server reading every
 * request 8 ms late for 0.6 s made the least itself 8 ms late from 0.26 s into that spell, its
 * later reads looked prompt and their slots, reused a window later when it read at once, let
 * 1,099 into a second (fake time; the spread margin above that least was ~0). 512 (as many as the
 * spread's samples) was tried for the throughput it costs idle (~0.1%): a 2.5 s spell still let
 * 1,100 in, its first samples falling in the start-up's unsampled windows.
 */
const RTT_SAMPLES = 256;
const RTT_WINDOWS = 2;
/** The share of the margin's excess over the floor still there a window (+ margin + lead) later. */
const MARGIN_KEPT = 0.85;
/**
 * The margin of a gate told of every answer (awaitAnswers): floor + 1 × the 10th percentile of
 * how much the recent round trips exceed the least one (answersMargin), its excess halving every
 * 10 s (at 2 s, one run beside two busy loops came to a closest start i → i+1000 of 1000.0 ms).
 */
const ANSWER_SPREAD: AdaptiveMarginOptions = { factor: 1, percentile: 0.1, samples: 512 };
/**
 * Windows after the gate first waits whose answers give the margin no sample: the first window's
 * burst queues at the provider, and the second's requests go as its answers come back, bunched
 * (counting from the second window kept idle runs' margins at 3.6-4.4 ms for their 8 s).
 */
const SPREAD_SETTLE_WINDOWS = 2;
/** The margin's room above the floor until then (marginAt): ~20 ms a send. */
const STARTUP_ROOM_MS = 10;

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
 * the rate-th most recent one is at least windowMs + margin old (the margin adapts to measured
 * lateness: AdaptiveMargin). bottleneck's minTime would
 * space starts by 1000/N and let N+1 into a closed 1 s window (shared/style.md §3.3).
 *
 * Waiters are served FIFO; every start whose slot is already due is released in one batch and a
 * single timer is set for the next due slot, so timer granularity costs almost nothing at 1000/s.
 */
export class RateGate implements Gate {
  private readonly clock: GateClock;
  private readonly windowMs: number;
  private readonly fixedMargin: number | undefined;
  private readonly adaptive: AdaptiveMargin;
  private readonly recoverEveryMs: number;
  private readonly holdUntilStart: boolean;
  /** Granted, not yet started (holdUntilStart): their log entries are kept from ageing out. */
  private held = new Set<{ at: number }>();
  /** Written, not yet answered (awaitAnswers): lateRead may still move their stamps. */
  private readonly unanswered = new Set<{ at: number }>();
  private readonly awaitAnswers: boolean;
  /** The adaptive margin's samples are the answers' round trips (awaitAnswers), not timer lateness. */
  private readonly answersMargin: boolean;
  /** A due time was set later for an answer still to come: an answer then pumps the gate again. */
  private waitsForAnswers = false;
  private readonly admitEarly: boolean;
  /** How long a grant takes to be ready (grant to mark), a high percentile: how early to grant. */
  private readonly lead: AdaptiveMargin;
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
  /** Early grants waiting for their due time, ascending by due: one timer for all of them. */
  private holds: { t: number; resolve: () => void }[] = [];
  private holdTimer: unknown = null;
  private holdTimerAt = Infinity;
  /** The run-queue wait when the hold timer was set (NaN where unknown). */
  private holdWaitAt = NaN;
  /** Recent round trips (lateRead), a ring; unfilled slots are Infinity. */
  private readonly rtts: Float64Array;
  private rttNext = 0;
  private rttMin = Infinity;
  /** When the gate first had to wait (the margin's samples start a window later). */
  private firstArmAt = Infinity;

  constructor(opts: RateGateOptions) {
    if (!(opts.rate >= 1)) throw new RangeError(`rate must be at least 1, got ${opts.rate}`);
    this.clock = opts.clock ?? realClock;
    this.windowMs = opts.windowMs ?? 1000;
    this.fixedMargin = opts.marginMs;
    this.recoverEveryMs = opts.recoverEveryMs ?? 10_000;
    this.holdUntilStart = opts.holdUntilStart ?? false;
    this.awaitAnswers = (opts.awaitAnswers ?? false) && this.holdUntilStart;
    this.answersMargin = this.awaitAnswers && this.fixedMargin === undefined;
    this.adaptive = new AdaptiveMargin({ floorMs: GATE_FLOOR_MS, ...(this.answersMargin ? ANSWER_SPREAD : {}), ...opts.margin });
    this.admitEarly = (opts.admitEarly ?? true) && this.holdUntilStart;
    // p90: an underestimate costs that request the rest of its fsync, an overestimate only a
    // request waiting a little longer with its attempt line already on disk.
    this.lead = new AdaptiveMargin({ floorMs: 0, factor: 1, percentile: 0.9, samples: 256, maxMs: Math.min(MAX_LEAD_MS, this.windowMs / 4), halfLifeMs: 2000 });
    this.ceilingRate = Math.floor(opts.rate);
    this.rtts = new Float64Array(Math.max(RTT_SAMPLES, RTT_WINDOWS * this.ceilingRate)).fill(Infinity);
    this.effective = this.ceilingRate;
    this.lastAdjustAt = this.clock.now();
  }

  /** The gate's own timers give the margin its samples (adaptive, and no answersMargin). */
  private get timerSamples(): boolean {
    return this.fixedMargin === undefined && !this.answersMargin;
  }

  /** The spacing (ms) currently added beyond the window. */
  get marginMs(): number {
    return this.marginAt(this.clock.now());
  }

  private marginAt(now: number): number {
    if (this.fixedMargin !== undefined) return this.fixedMargin;
    const m = this.adaptive.value(now);
    // While the answers' spread is not sampled yet (SPREAD_SETTLE_WINDOWS), room for a provider
    // that was slow to read from the start and then reads at once: no round trip can show such a
    // drop before it comes, and by then a window's burst has reused the slow reads' slots (fake
    // time: reads 8 ms late for the first 1.5 s let 1,100 into a second).
    if (this.answersMargin && now - this.firstArmAt < SPREAD_SETTLE_WINDOWS * this.windowMs) return Math.max(m, this.adaptive.floor + STARTUP_ROOM_MS);
    return m;
  }

  /** How early (ms) a slot is granted before it falls due now (0 without admitEarly). */
  get leadMs(): number {
    return this.admitEarly ? this.lead.value(this.clock.now()) : 0;
  }

  /**
   * A lateness sample (ms): how late a timer fired. When the OS tells how much of that time the
   * thread spent waiting for a CPU (`waitedMs`, from cpuWait()), only that part counts: lateness
   * from this process's own work (a burst of answers read in one go, a GC) delays the write and
   * its stamp alike, so it cannot bring two starts closer at the provider; a machine too busy to
   * run us promptly may also be too busy to run the receiving side promptly, which is what the
   * margin is for. (Also taking the floor's 2 ms off every sample reached 99.6% idle once, but let
   * a loaded run's closest start i → i+rate come to 1000.0 ms: too little room to keep.)
   */
  observeLateness(lateMs: number, waitedMs = NaN): void {
    this.adaptive.observe(waitedMs >= 0 && waitedMs < lateMs ? waitedMs : lateMs, this.clock.now());
  }

  /** The clock's run-queue wait so far (ms), NaN where unknown: pass differences to observeLateness. */
  cpuWait(): number {
    return this.clock.cpuWaitMs?.() ?? NaN;
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
    // Binary search: the dispatcher reads this on every progress event.
    const from = this.clock.now() - this.windowMs;
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.log[mid] > from) hi = mid;
      else lo = mid + 1;
    }
    return this.log.length - lo;
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
  private nextDue(now: number, margin: number): number {
    let due = Math.max(now, this.pausedUntil);
    const r = this.effective;
    if (this.log.length >= r) {
      let base = this.log[this.log.length - r];
      // Moving stamps on by at most c moves the r-th most recent to at most the larger of it and
      // (the latest movable stamp at or below it) + c: so that bound is what the due time uses
      // until those answers come. A stamp c below the oldest kept one can no longer matter.
      if (this.unanswered.size > 0) {
        let reach = -Infinity;
        for (const u of this.unanswered) {
          if (u.at + LATE_READ_CAP_MS <= this.log[0]) this.unanswered.delete(u);
          else if (u.at <= base && u.at + LATE_READ_CAP_MS > reach) reach = u.at + LATE_READ_CAP_MS;
        }
        if (reach > base) {
          base = reach;
          this.waitsForAnswers = true;
        }
      }
      due = Math.max(due, base + this.windowMs + margin);
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

  private stampNow(entry: { at: number }): void {
    const t = this.clock.now();
    this.restamp(entry.at, t);
    entry.at = Math.max(entry.at, t);
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
    // The pump runs on every acquire (about once per answer): a hold that has fallen due goes now
    // rather than when its millisecond timer comes round (on average ~0.8 ms late, and every
    // millisecond a request goes late is stamped on it and added to its next window's cycle).
    if (this.holds.length > 0 && this.holds[0].t <= now) this.releaseHolds();
    this.recover(now);
    const margin = this.marginAt(now);
    // An early grant waits for its due time anyway (untilDue), so it may come a timer's rounding
    // sooner: the gate's timer then fires once per grant instead of spinning through
    // setImmediate for the last fraction of a millisecond (~16 wake-ups a request at 1000/s).
    const lead = this.admitEarly ? this.lead.value(now) : 0;
    const slack = this.admitEarly ? EARLY_SLACK_MS : 0;
    const batch = this.admitEarly ? Math.min(GRANT_BATCH_MS, this.windowMs / 100) : 0;
    let granted = false;
    // Held grants older than half a window move to now: no entry younger than that can age out in
    // this pump, so each held grant is moved about twice a second at most, not on every pump.
    if (this.held.size > 0) {
      for (const h of this.held) {
        if (h.at < now - this.windowMs / 2) {
          this.restamp(h.at, now);
          h.at = now;
        }
      }
    }
    while (this.queue.length > 0) {
      const due = this.nextDue(now, margin);
      if (due - lead - slack - (granted ? batch : 0) > now) {
        this.arm(due - lead, now);
        return;
      }
      const w = this.queue.shift()!;
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      // An early grant counts from its due time: the request is held until then (untilDue).
      this.record(due);
      const entry = { at: due };
      let writtenAt = NaN;
      if (this.holdUntilStart) this.held.add(entry);
      const slot: GateSlot = {
        get at() {
          return entry.at;
        },
        start: () => {
          this.held.delete(entry);
          this.stampNow(entry);
          writtenAt = this.clock.now();
          if (this.awaitAnswers) this.unanswered.add(entry);
        },
        mark: () => {
          if (this.admitEarly) this.lead.observe(this.clock.now() - now, this.clock.now());
          this.stampNow(entry);
        },
        done: () => {
          this.held.delete(entry);
          const awaited = this.unanswered.delete(entry);
          if (this.holdUntilStart) this.lateRead(entry, this.clock.now() - writtenAt);
          if (awaited && this.waitsForAnswers) {
            this.waitsForAnswers = false;
            this.pump();
          }
        },
        untilDue: () => (due > this.clock.now() ? this.waitUntil(due) : undefined),
      };
      w.resolve(slot);
      granted = true;
    }
    this.disarm();
  }

  /**
   * A request's round trip (its write to its answer, ms; NaN when no write was reported before the
   * answer). A provider on a busy machine, or a burst queued at it, reads a request later than we
   * wrote it, and the same slot a window later may be read at once: that let 51-70 into one second
   * at --rate 50 beside two busy loops, with early grants or without. How late it read this one is
   * at most how much longer than the least recent round trip the answer took (the rest of the
   * answer's way cannot take less than its least), so the stamp moves on by that excess beyond
   * what the margin covers, at most LATE_READ_CAP_MS. The margin a window later is counted: above
   * the floor it may have decayed, by at most 2^(-1.53 s / 10 s) ≈ 0.9 (MARGIN_KEPT). The answer
   * comes long before the stamp sets anyone's due time; a steady round trip costs nothing, and on a
   * busy machine, where the margin has risen, only reads later than it cover cost throughput.
   *
   * What the rule cannot see (answersMargin): the least round trip may be longer than the least
   * read delay plus the least rest of the way (they need not come together), and a read that much
   * late goes unnoticed. That gap is of the order of the round trips' spread near their least, so
   * with answers the margin is the floor plus the 10th percentile of (round trip - least), and only
   * the floor counts as covered here: the rest is room beyond what is tracked. The gate's own timer
   * lateness is no sample then: our lateness delays the write and its stamp alike, and a receiving
   * side too busy to read promptly shows in the round trips. (On 2 cores, timer samples kept the
   * margin at 11-15 ms even idle, 98.6-99.2% of the ceiling; the answers' spread against the least of
   * two windows is 1.4-2.4 ms idle, more beside a busy loop per core.)
   */
  private lateRead(entry: { at: number }, rtt: number): void {
    // Under 0.2 ms the "write" was reported with the answer itself (a new connection: http.ts).
    if (!(rtt >= 0.2)) return;
    const ring = this.rtts;
    const old = ring[this.rttNext];
    ring[this.rttNext] = rtt;
    this.rttNext = (this.rttNext + 1) % ring.length;
    if (rtt <= this.rttMin) this.rttMin = rtt;
    else if (old === this.rttMin) {
      let min = Infinity;
      for (let i = 0; i < ring.length; i++) if (ring[i] < min) min = ring[i];
      this.rttMin = min;
    }
    const floor = this.adaptive.floor;
    let covered: number;
    if (this.answersMargin) {
      // The margin's part above the floor is room for what this rule cannot see, so only the floor
      // counts as covering a late read (answersMargin). Not while the send settles: its first
      // burst's spread kept one idle run's margin ~13 ms up for the whole 8 s (SPREAD_SETTLE_WINDOWS).
      const now = this.clock.now();
      if (now - this.firstArmAt >= SPREAD_SETTLE_WINDOWS * this.windowMs) this.adaptive.observe(rtt - this.rttMin, now);
      covered = floor;
    } else {
      // A fixed margin is there a window later as it is; an adaptive one may have decayed.
      const m = this.marginMs;
      covered = this.fixedMargin ?? (m <= floor ? m : floor + MARGIN_KEPT * (m - floor));
    }
    const excess = Math.min(LATE_READ_CAP_MS, rtt - this.rttMin - covered);
    if (excess > 0) {
      this.restamp(entry.at, entry.at + excess);
      entry.at += excess;
    }
  }

  /** Resolves once the clock reads `t` or later (releaseHolds). */
  private waitUntil(t: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let i = this.holds.length;
      while (i > 0 && this.holds[i - 1].t > t) i--;
      this.holds.splice(i, 0, { t, resolve });
      this.armHolds();
    });
  }

  private armHolds(): void {
    const first = this.holds[0];
    if (!first || (this.holdTimer !== null && this.holdTimerAt <= first.t)) return;
    if (this.holdTimer !== null) this.clock.clearTimeout(this.holdTimer);
    this.holdTimerAt = first.t;
    this.holdWaitAt = this.timerSamples ? this.cpuWait() : NaN;
    const release = () => this.releaseHolds(true);
    const ms = first.t - this.clock.now();
    this.holdTimer = this.clock.setTimeoutLate ? this.clock.setTimeoutLate(release, ms) : this.clock.setTimeout(release, ms);
  }

  /**
   * Releases every hold that has fallen due (a timer may fire a little early). The timer's
   * lateness is a sample for the margin only where the OS tells how much of it was spent waiting
   * for a CPU (observeLateness): the whole of it is mostly this process's own bursts of work (60
   * answers read in one go), and 2 × its p99 would cost 0.6% of the ceiling idle; a late burst
   * that the provider reads late shows in its round trips anyway (lateRead).
   */
  private releaseHolds(fromTimer = false): void {
    const now = this.clock.now();
    if (fromTimer && this.timerSamples) {
      const waited = this.cpuWait() - this.holdWaitAt;
      if (waited >= 0 && now - this.firstArmAt >= this.windowMs) this.observeLateness(now - this.holdTimerAt, waited);
    }
    if (this.holdTimer !== null) this.clock.clearTimeout(this.holdTimer);
    this.holdTimer = null;
    this.holdTimerAt = Infinity;
    let k = 0;
    while (k < this.holds.length && this.holds[k].t <= now) k++;
    for (const h of this.holds.splice(0, k)) h.resolve();
    this.armHolds();
  }

  private arm(due: number, now: number): void {
    if (this.firstArmAt === Infinity) this.firstArmAt = now;
    if (this.timer !== null && this.timerAt <= due) return;
    this.disarm();
    this.timerAt = due;
    const waitedAt = this.timerSamples ? this.cpuWait() : NaN;
    this.timer = this.clock.setTimeout(
      () => {
        const late = this.clock.now() - this.timerAt;
        this.timer = null;
        this.timerAt = Infinity;
        // Not in the window after the first wait: that is the send's start-up (connections opened,
        // code compiled; one run's 8 ms there kept the margin 4 ms up for the whole 8 s send), and
        // the first window's requests were stamped at their answers (http.ts) anyway.
        if (this.timerSamples && this.clock.now() - this.firstArmAt >= this.windowMs) this.observeLateness(late, this.cpuWait() - waitedAt);
        this.pump();
      },
      due - now,
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
