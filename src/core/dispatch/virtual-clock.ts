import type { GateClock } from './rate-gate.js';

interface Timer {
  at: number;
  fn: () => void;
}

/**
 * Simulated time for a dry run: the real dispatcher, rate gate, window and daily limit run
 * unchanged, but every wait ends at once with the clock moved to its end, so a dry run of a
 * million recipients at 20/s takes seconds and still says when each message would go out.
 * Timers fire one per event-loop turn, in time order, after the real work queued before them.
 */
export class VirtualClock implements GateClock {
  private t = 0;
  private timers: Timer[] = [];
  private pumping = false;

  constructor(private readonly epochMs: number = Date.now()) {}

  now(): number {
    return this.t;
  }

  date(): Date {
    return new Date(this.epochMs + this.t);
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer: Timer = { at: this.t + Math.max(0, ms), fn };
    // Sorted insert: equal times keep their order.
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].at > timer.at) i--;
    this.timers.splice(i, 0, timer);
    this.schedule();
    return timer;
  }

  clearTimeout(handle: unknown): void {
    const i = this.timers.indexOf(handle as Timer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** The dispatcher's wait (backoff, window): rejects when `signal` aborts, like a real sleep. */
  sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = this.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });

  private schedule(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => {
      this.pumping = false;
      const next = this.timers.shift();
      if (!next) return;
      this.t = Math.max(this.t, next.at);
      if (this.timers.length) this.schedule();
      next.fn();
    });
  }
}
