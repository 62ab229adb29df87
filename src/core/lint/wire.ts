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
  /** Whether the caller reads a row's rendered text (the send does; the lint does not). */
  text?: boolean;
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

/**
 * The chunked pool's answer for one chunk of the file (the worker parsed it): per row its line,
 * a code (kind, bucket, claims, whether it has a number, a text, extras), the number packed as a
 * double (E.164 is at most 15 digits), the cells the main thread needs (the columns it keeps,
 * the phone and consent columns) as one string with end offsets, the rendered texts only when
 * the caller reads them, and JSON only for the rows with findings.
 */
export interface WireRows {
  seq: number;
  lines: Uint32Array;
  codes: Uint16Array;
  phones: Float64Array;
  cells: string;
  /** `cols.length` ends per row, into `cells`. */
  cellEnds: Uint32Array;
  texts: string;
  textEnds: Uint32Array;
  /** JSON: { i, f: findings, a: after, c: numberColumn, r: raw, p: phone }[] for the rows that have any. */
  extras: string;
}

/** Which cells travel back: indexes into the header, and where the record, phone and consent cells are among them. */
export interface RowCells {
  columns: number[];
  /** Record key → position in `columns`. */
  keep: [string, number][];
  phone: number;
  consent: number;
  text: boolean;
}

export function rowCells(header: string[], keep: 'all' | string[], phoneColumn: string, consentColumn: string, text: boolean): RowCells {
  const columns: number[] = [];
  const at = (idx: number) => {
    let p = columns.indexOf(idx);
    if (p === -1) p = columns.push(idx) - 1;
    return p;
  };
  const names = keep === 'all' ? header : keep.filter((k) => header.includes(k));
  const kept: [string, number][] = names.map((k) => [k, at(header.indexOf(k))]);
  return { columns, keep: kept, phone: at(header.indexOf(phoneColumn)), consent: at(header.indexOf(consentColumn)), text };
}

const HAS_PHONE = 1 << 7;
const HAS_TEXT = 1 << 8;
const HAS_EXTRAS = 1 << 9;
const CLAIMS = 1 << 6;

interface Extra { i: number; f?: Finding[]; a?: Finding[]; c?: string; r?: string; p?: string }

/** `records[i]` holds the row's cells by header index (unforced), as the step read them. */
export function encodeRows(seq: number, steps: RowStep[], cellsOf: (i: number, col: number) => string, cells: RowCells, phoneColumn: string): WireRows {
  const n = steps.length;
  const lines = new Uint32Array(n);
  const codes = new Uint16Array(n);
  const phones = new Float64Array(n);
  const k = cells.columns.length;
  const cellEnds = new Uint32Array(n * k);
  const textEnds = new Uint32Array(cells.text ? n : 0);
  const parts: string[] = [];
  const texts: string[] = [];
  const extras: Extra[] = [];
  let len = 0;
  let tlen = 0;
  for (let i = 0; i < n; i++) {
    const s = steps[i];
    lines[i] = s.line;
    let code = KINDS.indexOf(s.kind) | (BUCKETS.indexOf(s.bucket) << 2) | (s.kind === 'candidate' && s.claims ? CLAIMS : 0);
    for (let c = 0; c < k; c++) {
      const v = cellsOf(i, cells.columns[c]);
      parts.push(v);
      len += v.length;
      cellEnds[i * k + c] = len;
    }
    let extra: Extra | undefined;
    const phone = s.phone;
    if (phone !== undefined) {
      code |= HAS_PHONE;
      const num = Number(phone.slice(1));
      if (phone.charCodeAt(0) === 43 && `+${num}` === phone) phones[i] = num;
      else (extra ??= { i }).p = phone;
    }
    if (s.findings) (extra ??= { i }).f = s.findings;
    if (s.kind === 'candidate') {
      if (s.after) (extra ??= { i }).a = s.after;
      if (s.numberColumn !== phoneColumn) {
        extra ??= { i };
        extra.c = s.numberColumn;
        extra.r = s.raw;
      }
      if (cells.text && s.text !== undefined) {
        code |= HAS_TEXT;
        texts.push(s.text);
        tlen += s.text.length;
      }
    }
    if (cells.text) textEnds[i] = tlen;
    if (extra) {
      code |= HAS_EXTRAS;
      extras.push(extra);
    }
    codes[i] = code;
  }
  return { seq, lines, codes, phones, cells: parts.join(''), cellEnds, texts: texts.join(''), textEnds, extras: extras.length ? JSON.stringify(extras) : '' };
}

export function decodeRows(w: WireRows, cells: RowCells, phoneColumn: string): RowStep[] {
  const n = w.lines.length;
  const k = cells.columns.length;
  const extras = new Map<number, Extra>();
  if (w.extras) for (const e of JSON.parse(w.extras) as Extra[]) extras.set(e.i, e);
  const out: RowStep[] = new Array(n);
  const { keep } = cells;
  const str = w.cells;
  const ends = w.cellEnds;
  /** Row i's cell c: its end, and the end before it (of the row's previous cell, or the previous row's last). */
  let base = 0;
  const cell = (c: number) => str.slice(base + c === 0 ? 0 : ends[base + c - 1], ends[base + c]);
  for (let i = 0; i < n; i++) {
    const code = w.codes[i];
    const kind = KINDS[code & 3];
    const bucket = BUCKETS[(code >> 2) & 15] as Bucket;
    base = i * k;
    const e = code & HAS_EXTRAS ? extras.get(i) : undefined;
    const phone = code & HAS_PHONE ? (e?.p ?? `+${w.phones[i]}`) : undefined;
    const record: Record<string, string> = {};
    for (let j = 0; j < keep.length; j++) record[keep[j][0]] = cell(keep[j][1]);
    const line = w.lines[i];
    const findings = e?.f;
    if (kind === 'final') out[i] = phone === undefined ? { kind, line, bucket, record, findings } : { kind, line, bucket, phone, record, findings };
    else if (kind === 'decline') out[i] = { kind, line, bucket: bucket as 'no_consent', phone: phone!, consent: cell(cells.consent), record, findings };
    else {
      const text = code & HAS_TEXT ? w.texts.slice(i === 0 ? 0 : w.textEnds[i - 1], w.textEnds[i]) : undefined;
      out[i] = {
        kind, line, phone: phone!, consent: cell(cells.consent), raw: e?.c !== undefined ? e.r! : cell(cells.phone), numberColumn: e?.c ?? phoneColumn, record, findings,
        bucket: bucket as 'sendable', claims: (code & CLAIMS) !== 0, after: e?.a, text,
      };
    }
  }
  return out;
}
