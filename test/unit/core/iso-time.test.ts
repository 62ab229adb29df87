import { describe, expect, it } from 'vitest';
import { isoPerMs } from '../../../src/core/iso-time.js';

describe('isoPerMs', () => {
  it("is the clock's own time as an ISO string, made again only when the millisecond changes", () => {
    let t = Date.UTC(2026, 11, 2, 6, 0, 0, 5);
    let made = 0;
    const iso = isoPerMs(() => {
      const d = new Date(t);
      const own = d.toISOString.bind(d);
      d.toISOString = () => (made++, own());
      return d;
    });
    expect(iso()).toBe('2026-12-02T06:00:00.005Z');
    expect(iso()).toBe('2026-12-02T06:00:00.005Z');
    expect(made).toBe(1);
    t += 1;
    expect(iso()).toBe('2026-12-02T06:00:00.006Z');
    // A clock that goes back (a virtual clock reset, NTP) is followed, not cached.
    t -= 2;
    expect(iso()).toBe('2026-12-02T06:00:00.004Z');
    expect(made).toBe(3);
  });
});
