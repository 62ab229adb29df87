import type { RowStep } from '../contacts/classify.js';
import { unforceText } from '../contacts/read.js';
import type { RawBatch } from '../contacts/types.js';
import { BUCKETS, type Bucket, type Finding } from '../findings.js';

/**
 * What travels between the lint's main thread and its workers, compact: copying objects row by
 * row between threads cost more CPU than the workers saved (measured: 7 s per million rows).
 * Out: a batch's fields as one string (a single copy) with each record's field count and line.
 * Back: one byte a row (kind, bucket, claims), the numbers as one string, and JSON only for the
 * rows that have findings or a message. The record is rebuilt from the fields the main thread kept.
 */
export interface WireBatch {
  seq: number;
  text: string;
  counts: Uint32Array;
  lines: Uint32Array;
}

export interface WireSteps {
  seq: number;
  codes: Uint8Array;
  phones: string;
  /** JSON: [row index, findings, after, numberColumn, text][] for the rows that have any. */
  extras: string;
}

const SEP = '\u0000';
const KINDS = ['final', 'decline', 'candidate'] as const;

export function encodeBatch(seq: number, batch: RawBatch): WireBatch {
  const counts = new Uint32Array(batch.length);
  const lines = new Uint32Array(batch.length);
  const parts: string[] = [];
  for (let i = 0; i < batch.length; i++) {
    counts[i] = batch[i].fields.length;
    lines[i] = batch[i].line;
    for (const f of batch[i].fields) parts.push(f);
  }
  return { seq, text: parts.join(SEP), counts, lines };
}

/** The batch back as fields, or undefined when a field held the separator (the main thread then does it). */
export function decodeBatch(b: WireBatch): RawBatch | undefined {
  const all = b.text.split(SEP);
  let total = 0;
  for (const c of b.counts) total += c;
  // An empty batch of one empty field splits into [''] as well.
  if (all.length !== total && !(total === 0 && all.length === 1)) return undefined;
  const out: RawBatch = new Array(b.counts.length);
  let at = 0;
  for (let i = 0; i < b.counts.length; i++) {
    out[i] = { fields: all.slice(at, at + b.counts[i]), line: b.lines[i] };
    at += b.counts[i];
  }
  return out;
}

/** `phoneColumn`: a candidate's number column is sent only when it is another (a fallback). */
export function encodeSteps(seq: number, steps: RowStep[], phoneColumn: string): WireSteps {
  const codes = new Uint8Array(steps.length);
  const phones: string[] = [];
  const extras: unknown[] = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    const phone = s.phone;
    codes[i] = KINDS.indexOf(s.kind) | (BUCKETS.indexOf(s.bucket) << 2) | (s.kind === 'candidate' && s.claims ? 64 : 0) | (phone !== undefined ? 128 : 0);
    if (phone !== undefined) phones.push(phone);
    const after = s.kind === 'candidate' ? s.after : undefined;
    const numberColumn = s.kind === 'candidate' && s.numberColumn !== phoneColumn ? s.numberColumn : undefined;
    const text = s.kind === 'candidate' ? s.text : undefined;
    if (s.findings || after || text !== undefined || numberColumn !== undefined) extras.push([i, s.findings ?? null, after ?? null, numberColumn ?? null, text ?? null]);
  }
  return { seq, codes, phones: phones.join('\n'), extras: extras.length ? JSON.stringify(extras) : '' };
}

/** The columns the main thread reads from a row's fields to rebuild its step. */
export interface StepColumns {
  header: string[];
  phoneColumn: string;
  consentIndex: number;
  /** Which record columns the caller reads: 'all', or these. */
  keep: 'all' | string[];
}

export function decodeSteps(w: WireSteps, batch: RawBatch, cols: StepColumns): RowStep[] {
  const phones = w.phones === '' ? [] : w.phones.split('\n');
  const extras = new Map<number, [number, Finding[] | null, Finding[] | null, string | null, string | null]>();
  if (w.extras) for (const e of JSON.parse(w.extras) as [number, Finding[] | null, Finding[] | null, string | null, string | null][]) extras.set(e[0], e);
  const keepIdx = cols.keep === 'all' ? undefined : cols.keep.map((k) => [k, cols.header.indexOf(k)] as const).filter(([, i]) => i >= 0);
  const out: RowStep[] = new Array(batch.length);
  let p = 0;
  for (let i = 0; i < batch.length; i++) {
    const code = w.codes[i];
    const kind = KINDS[code & 3];
    const bucket = BUCKETS[(code >> 2) & 15] as Bucket;
    const phone = code & 128 ? phones[p++] : undefined;
    const { fields, line } = batch[i];
    const cell = (idx: number) => unforceText(fields[idx] ?? '');
    const record: Record<string, string> = {};
    if (keepIdx) for (const [k, idx] of keepIdx) record[k] = cell(idx);
    else for (let c = 0; c < cols.header.length; c++) record[cols.header[c]] = cell(c);
    const e = extras.get(i);
    const findings = e?.[1] ?? undefined;
    if (kind === 'final') out[i] = phone === undefined ? { kind, line, bucket, record, findings } : { kind, line, bucket, phone, record, findings };
    else if (kind === 'decline') out[i] = { kind, line, bucket: bucket as 'no_consent', phone: phone!, consent: cell(cols.consentIndex), record, findings };
    else {
      const numberColumn = e?.[3] ?? cols.phoneColumn;
      out[i] = {
        kind, line, phone: phone!, consent: cell(cols.consentIndex), raw: cell(cols.header.indexOf(numberColumn)), numberColumn, record, findings,
        bucket: bucket as 'sendable', claims: (code & 64) !== 0, after: e?.[2] ?? undefined, text: e?.[4] ?? undefined,
      };
    }
  }
  return out;
}
