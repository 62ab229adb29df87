import type { GateClock } from '../../../src/core/dispatch/rate-gate.js';

/** A manual clock for RateGate: timers fire only when the test advances time. */
export class FakeClock implements GateClock {
  t = 0;
  /**
   * How the clock lets promise callbacks run between timers. The default (a few microtask turns)
   * suits a bare gate; a whole dispatcher awaits through more layers, so its tests pass a full
   * drain (`() => new Promise((r) => setImmediate(r))`), else fake time would move on under it.
   */
  constructor(private readonly drain: () => Promise<void> = settle) {}
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void; seq: number }>();

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn, seq: id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  get pending(): number {
    return this.timers.size;
  }

  /** Runs every timer due up to `target` in time order, letting promise callbacks settle in between. */
  async advanceTo(target: number): Promise<void> {
    await this.drain();
    for (;;) {
      let next: { id: number; at: number; fn: () => void; seq: number } | null = null;
      for (const [id, tm] of this.timers) {
        if (tm.at <= target && (!next || tm.at < next.at || (tm.at === next.at && tm.seq < next.seq))) next = { id, ...tm };
      }
      if (!next) break;
      this.timers.delete(next.id);
      this.t = Math.max(this.t, next.at);
      next.fn();
      await this.drain();
    }
    this.t = Math.max(this.t, target);
    await this.drain();
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
