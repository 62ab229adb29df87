import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { defaultZoneFor, isOpen, localMinutes, nextOpen, parseWindow } from '../../../src/core/dispatch/send-window.js';

const d = (iso: string) => new Date(iso);
const day = { start: '09:00', end: '21:00', tz: 'Europe/Madrid' };
const night = { start: '21:00', end: '09:00', tz: 'Europe/Madrid' };

describe('send window', () => {
  it.each([
    ['2025-01-15T07:59:00Z', day, false], // 08:59 CET
    ['2025-01-15T08:00:00Z', day, true], // 09:00 CET: start is inclusive
    ['2025-01-15T19:59:59Z', day, true],
    ['2025-01-15T20:00:00Z', day, false], // 21:00 CET: end is exclusive
    ['2025-07-15T07:00:00Z', day, true], // 09:00 CEST
    ['2025-07-15T06:59:00Z', day, false],
    ['2025-01-15T21:30:00Z', night, true], // 22:30 across midnight
    ['2025-01-15T23:30:00Z', night, true], // 00:30
    ['2025-01-16T07:59:00Z', night, true], // 08:59
    ['2025-01-16T08:00:00Z', night, false], // 09:00
    ['2025-01-16T11:00:00Z', night, false],
  ] as const)('isOpen(%s)', (iso, w, open) => {
    expect(isOpen(d(iso), w)).toBe(open);
  });

  it('start == end means always open', () => {
    expect(isOpen(d('2025-01-15T03:00:00Z'), { start: '00:00', end: '00:00', tz: 'UTC' })).toBe(true);
  });

  it('nextOpen: later the same day, the next morning, and across midnight', () => {
    expect(nextOpen(d('2025-01-15T05:12:34Z'), day).toISOString()).toBe('2025-01-15T08:00:00.000Z');
    expect(nextOpen(d('2025-01-15T21:00:00Z'), day).toISOString()).toBe('2025-01-16T08:00:00.000Z');
    expect(nextOpen(d('2025-01-15T11:00:00Z'), night).toISOString()).toBe('2025-01-15T20:00:00.000Z');
    const open = d('2025-01-15T10:00:00Z');
    expect(nextOpen(open, day)).toBe(open);
  });

  it('nextOpen across DST changes (Europe/Madrid)', () => {
    // Spring forward 2025-03-30 02:00 → 03:00: 09:00 CEST is 07:00Z, not 08:00Z.
    expect(nextOpen(d('2025-03-29T21:00:00Z'), day).toISOString()).toBe('2025-03-30T07:00:00.000Z');
    // Fall back 2025-10-26 03:00 → 02:00: 09:00 CET is 08:00Z.
    expect(nextOpen(d('2025-10-25T20:00:00Z'), day).toISOString()).toBe('2025-10-26T08:00:00.000Z');
    // A start inside the spring-forward gap (02:30 does not exist): opens at 03:00 CEST.
    expect(nextOpen(d('2025-03-29T23:00:00Z'), { start: '02:30', end: '05:00', tz: 'Europe/Madrid' }).toISOString()).toBe(
      '2025-03-30T01:00:00.000Z',
    );
    // New York, spring forward 2025-03-09.
    expect(nextOpen(d('2025-03-09T03:00:00Z'), { start: '09:00', end: '17:00', tz: 'America/New_York' }).toISOString()).toBe(
      '2025-03-09T13:00:00.000Z',
    );
  });

  it('a per-call zone overrides the window zone', () => {
    const at = d('2025-01-15T14:00:00Z'); // 15:00 Madrid, 09:00 New York, 11:00 Buenos Aires
    expect(isOpen(at, { start: '10:00', end: '12:00', tz: 'Europe/Madrid' })).toBe(false);
    expect(isOpen(at, { start: '10:00', end: '12:00', tz: 'Europe/Madrid' }, 'America/Argentina/Buenos_Aires')).toBe(true);
    expect(localMinutes(at, 'America/New_York')).toBe(9 * 60);
  });

  it('parseWindow validates times and zones', () => {
    expect(parseWindow('09:00-21:00', 'Europe/Madrid')).toEqual({ start: '09:00', end: '21:00', tz: 'Europe/Madrid' });
    expect(() => parseWindow('9-21')).toThrow(UsageError);
    expect(() => parseWindow('09:00-24:00')).toThrow(/HH:MM/);
    expect(() => parseWindow('09:00-21:00', 'Mars/Olympus')).toThrow(/time zone/);
  });

  it('defaultZoneFor: single-zone countries only', () => {
    expect(defaultZoneFor('+34600123456')).toBe('Europe/Madrid');
    expect(defaultZoneFor('+34928123456')).toBe('Atlantic/Canary');
    expect(defaultZoneFor('+5491123456789')).toBe('America/Argentina/Buenos_Aires');
    expect(defaultZoneFor('+573001234567')).toBe('America/Bogota');
    expect(defaultZoneFor('+56912345678')).toBe('America/Santiago');
    expect(defaultZoneFor('+593991234567')).toBe('America/Guayaquil');
    expect(defaultZoneFor('+18095551234')).toBe('America/Santo_Domingo');
    expect(defaultZoneFor('+351912345678')).toBe('Europe/Lisbon');
    expect(defaultZoneFor('+447700900123')).toBe('Europe/London');
    expect(defaultZoneFor('+5215512345678')).toBeUndefined(); // MX
    expect(defaultZoneFor('+5511912345678')).toBeUndefined(); // BR
    expect(defaultZoneFor('+12125551234')).toBeUndefined(); // US
  });
});
