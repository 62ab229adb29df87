import { UsageError } from '../errors.js';

/**
 * `--window HH:MM-HH:MM --tz ZONE`: local sending hours. `start` is inclusive, `end` exclusive;
 * a window whose end is before its start crosses midnight (21:00-09:00); start == end means
 * always open. Local time comes from Intl (full ICU ships with Node), so DST is handled.
 */
export interface SendWindow {
  start: string;
  end: string;
  /** IANA zone; when absent, the machine's zone. */
  tz?: string;
}

const HHMM = /^([01]?\d|2[0-3]):([0-5]\d)$/;

function minutesOf(hhmm: string): number {
  const m = HHMM.exec(hhmm.trim());
  if (!m) throw new UsageError(`"${hhmm}" is not a time of day; write HH:MM, e.g. 09:30.`);
  return Number(m[1]) * 60 + Number(m[2]);
}

const zoneChecks = new Map<string, boolean>();

export function isValidTimeZone(tz: string): boolean {
  // A list has few distinct zones; building a formatter per row would cost more than the row.
  let ok = zoneChecks.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      ok = true;
    } catch {
      ok = false;
    }
    if (zoneChecks.size < 1000) zoneChecks.set(tz, ok);
  }
  return ok;
}

/** A row's own time zone cell (a `tz` column, else `TZ`), as written; undefined when empty. */
export function zoneCell(record: Record<string, string>): string | undefined {
  const cell = (record.tz || record.TZ)?.trim();
  return cell || undefined;
}

/** Parses `--window 09:00-21:00` (and `--tz`). */
export function parseWindow(spec: string, tz?: string): SendWindow {
  const parts = spec.split('-');
  if (parts.length !== 2) throw new UsageError(`--window "${spec}" should look like 09:00-21:00.`);
  const [start, end] = parts.map((p) => p.trim());
  minutesOf(start);
  minutesOf(end);
  if (tz !== undefined && !isValidTimeZone(tz)) {
    throw new UsageError(`--tz "${tz}" is not a time zone; use an IANA name such as Europe/Madrid.`);
  }
  return { start, end, tz };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string | undefined): Intl.DateTimeFormat {
  const key = tz ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(key, f);
  }
  return f;
}

/** Minutes since local midnight in `tz`. */
export function localMinutes(at: Date, tz?: string): number {
  let h = 0;
  let m = 0;
  for (const p of formatter(tz).formatToParts(at)) {
    if (p.type === 'hour') h = Number(p.value) % 24;
    else if (p.type === 'minute') m = Number(p.value);
  }
  return h * 60 + m;
}

function openAt(mins: number, start: number, end: number): boolean {
  if (start === end) return true;
  return start < end ? mins >= start && mins < end : mins >= start || mins < end;
}

export function isOpen(now: Date, window: SendWindow, tz: string | undefined = window.tz): boolean {
  return openAt(localMinutes(now, tz), minutesOf(window.start), minutesOf(window.end));
}

const MINUTE = 60_000;

/**
 * The first instant ≥ now at which the window is open. When `start` falls in a DST gap
 * (e.g. 02:30 on the spring-forward night), that is the first minute after the gap.
 */
export function nextOpen(now: Date, window: SendWindow, tz: string | undefined = window.tz): Date {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const mins = localMinutes(now, tz);
  if (openAt(mins, start, end)) return now;
  const floor = Math.floor(now.getTime() / MINUTE) * MINUTE;
  const opensAtMinute = (t: number): boolean =>
    openAt(localMinutes(new Date(t), tz), start, end) && !openAt(localMinutes(new Date(t - MINUTE), tz), start, end);
  // Naive guess from the local clock, then correct once for an offset change on the way.
  let guess = floor + (((start - mins + 1440) % 1440) * MINUTE);
  for (let i = 0; i < 3; i++) {
    const got = localMinutes(new Date(guess), tz);
    let diff = start - got;
    if (diff > 720) diff -= 1440;
    if (diff < -720) diff += 1440;
    if (diff === 0) break;
    guess += diff * MINUTE;
  }
  if (guess > now.getTime() && opensAtMinute(guess)) return new Date(guess);
  // Rare (DST gap at the start time): walk minute by minute, at most two days.
  for (let t = floor + MINUTE; t <= floor + 2 * 1440 * MINUTE; t += MINUTE) {
    if (openAt(localMinutes(new Date(t), tz), start, end)) return new Date(t);
  }
  return now;
}

/**
 * Countries with one time zone (by calling code), so that a recipient-local window needs no
 * `--tz`. MX, BR, US/CA (+1 outside the Dominican Republic) span several zones: undefined.
 * Spain: Canarias landlines (+34 828 / +34 928) are Atlantic/Canary; Spanish mobiles are not
 * geographic and default to Europe/Madrid, an hour ahead of the islands.
 * Chile and Ecuador: the mainland zone (not Easter Island or Galápagos).
 */
const ZONES: Array<[string, string]> = [
  ['+34828', 'Atlantic/Canary'],
  ['+34928', 'Atlantic/Canary'],
  ['+34', 'Europe/Madrid'],
  ['+54', 'America/Argentina/Buenos_Aires'],
  ['+57', 'America/Bogota'],
  ['+51', 'America/Lima'],
  ['+56', 'America/Santiago'],
  ['+58', 'America/Caracas'],
  ['+593', 'America/Guayaquil'],
  ['+598', 'America/Montevideo'],
  ['+595', 'America/Asuncion'],
  ['+591', 'America/La_Paz'],
  ['+502', 'America/Guatemala'],
  ['+503', 'America/El_Salvador'],
  ['+504', 'America/Tegucigalpa'],
  ['+505', 'America/Managua'],
  ['+506', 'America/Costa_Rica'],
  ['+507', 'America/Panama'],
  ['+1809', 'America/Santo_Domingo'],
  ['+1829', 'America/Santo_Domingo'],
  ['+1849', 'America/Santo_Domingo'],
  ['+53', 'America/Havana'],
  ['+351', 'Europe/Lisbon'],
  ['+39', 'Europe/Rome'],
  ['+33', 'Europe/Paris'],
  ['+49', 'Europe/Berlin'],
  ['+44', 'Europe/London'],
].sort((a, b) => b[0].length - a[0].length) as Array<[string, string]>;

export function defaultZoneFor(e164: string): string | undefined {
  for (const [prefix, zone] of ZONES) if (e164.startsWith(prefix)) return zone;
  return undefined;
}
