/**
 * `now()` as an ISO string, made once per millisecond: a send writes a time on several journal
 * lines and a history entry per request, and `toISOString` was a visible part of that cost.
 */
export function isoPerMs(now: () => Date): () => string {
  let isoMs = NaN;
  let isoText = '';
  return () => {
    const d = now();
    const ms = d.getTime();
    if (ms !== isoMs) {
      isoMs = ms;
      isoText = d.toISOString();
    }
    return isoText;
  };
}
