import { describe, expect, it } from 'vitest';
import { RowCache } from '../../../src/core/campaign/row-cache.js';
import type { PlannedRow } from '../../../src/core/campaign/verdict.js';
import { BUCKETS, type Bucket } from '../../../src/core/findings.js';

const KEYS = ['nombre', 'ciudad', 'tz'];

/** What the cache must give back for a pushed row: the keys present, undefined kept undefined. */
function expected(row: PlannedRow, withRecord: boolean): PlannedRow {
  const record: Record<string, string> = {};
  if (withRecord) for (const k of KEYS) if (row.record[k] !== undefined) record[k] = row.record[k];
  const out: PlannedRow = { line: row.line, bucket: row.bucket, phone: row.phone, text: row.text, record };
  if (row.revokes !== undefined) out.revokes = row.revokes;
  return out;
}

/** Rows with every shape a plan keeps: empty and absent values, accents, emoji, a separator-like NUL, no phone, revokes. */
function rowAt(i: number): PlannedRow {
  const bucket = BUCKETS[i % BUCKETS.length] as Bucket;
  const record: Record<string, string> = { nombre: i % 7 === 0 ? '' : `Persona ${i} Núñez 👋`, other: 'not kept' };
  if (i % 3 !== 0) record.ciudad = i % 5 === 0 ? 'a\u0000b' : 'Málaga';
  if (i % 11 === 0) record.tz = 'America/Bogota';
  const row: PlannedRow = { line: i + 2, bucket, record };
  if (i % 13 !== 0) row.phone = `+3461${String(i).padStart(7, '0')}`;
  if (i % 4 !== 0) row.text = i % 9 === 0 ? '' : `Hola ${record.nombre}, nos vemos en ${record.ciudad ?? '—'}.`;
  if (i % 17 === 0) row.revokes = i;
  return row;
}

describe('RowCache: packed rows come back as they were pushed', () => {
  it('gives back every row, in order, across many blocks', () => {
    const cache = new RowCache(KEYS);
    const rows = Array.from({ length: 5000 }, (_, i) => rowAt(i));
    for (const r of rows) cache.push(r, r.bucket === 'sendable');
    expect(cache.length).toBe(5000);
    expect([...cache]).toEqual(rows.map((r) => expected(r, r.bucket === 'sendable')));
    // A second read gives the same (reading seals nothing it should not).
    expect([...cache]).toEqual(rows.map((r) => expected(r, r.bucket === 'sendable')));
  });

  it('rows pushed after a read of the unfinished block still come back right', () => {
    const cache = new RowCache(KEYS);
    const rows = Array.from({ length: 2100 }, (_, i) => rowAt(i));
    for (const r of rows.slice(0, 1500)) cache.push(r, true);
    expect([...cache]).toEqual(rows.slice(0, 1500).map((r) => expected(r, true)));
    for (const r of rows.slice(1500)) cache.push(r, true);
    expect([...cache]).toEqual(rows.map((r) => expected(r, true)));
  });

  it('keeps no record for rows pushed without one, and finds the first match', () => {
    const cache = new RowCache(KEYS);
    cache.push({ line: 2, bucket: 'no_consent', phone: '+34612000001', record: { nombre: 'Ana' } }, false);
    cache.push({ line: 3, bucket: 'sendable', phone: '+34612000002', text: 'Hola Luis', record: { nombre: 'Luis' } }, true);
    expect([...cache][0].record).toEqual({});
    expect(cache.find((r) => r.bucket === 'sendable')).toEqual({ line: 3, bucket: 'sendable', phone: '+34612000002', text: 'Hola Luis', record: { nombre: 'Luis' } });
    expect(cache.find((r) => r.line === 9)).toBeUndefined();
  });

  it('counts its memory as it grows', () => {
    const cache = new RowCache(KEYS);
    const before = cache.bytes;
    const long = { line: 2, bucket: 'sendable' as const, phone: '+34612000001', text: 'x'.repeat(10_000), record: { nombre: 'y'.repeat(5_000) } };
    cache.push(long, true);
    // At least two bytes a character of what it keeps: the budget must not undercount long values.
    expect(cache.bytes - before).toBeGreaterThanOrEqual(2 * (12 + 10_000 + 5_000));
    const one = cache.bytes;
    cache.push(long, false);
    expect(cache.bytes - one).toBeGreaterThanOrEqual(2 * (12 + 10_000));
    expect(cache.bytes - one).toBeLessThan(2 * (12 + 10_000 + 5_000));
  });
});
