import type { Bucket, Finding } from '../findings.js';

/** One CSV record with the 1-based line of the file where it starts. */
export interface RawRow {
  line: number;
  /** Header name (as written in the file, trimmed) → cell value. */
  record: Record<string, string>;
  /** How many fields the record really had: differs from the header's length on a ragged row. */
  fieldCount?: number;
}

export interface OpenedCsv {
  path: string;
  /** Header names as written (trimmed, BOM removed), in file order. */
  header: string[];
  /** The line of the file the header row is on (1 unless a sep= line, a title or notes come first). */
  headerLine: number;
  /** Findings about the file itself, found while opening it (e.g. `header-not-first`). */
  findings: Finding[];
  delimiter: ',' | ';' | '\t';
  encoding: string;
  rows: AsyncIterable<RawRow>;
  /**
   * The same rows as parsed, a chunk of the file at a time, before they become records: what the
   * lint's worker pool ships to its workers (`toRawRow` makes the records there). Read either
   * `rows` or `batches()`, once.
   */
  batches: () => AsyncIterable<RawBatch>;
  /**
   * Instead of `rows`/`batches()`: the rest of the file after the header as chunks of whole
   * records for the lint's workers to parse (core/contacts/chunks.ts), or undefined when this file
   * cannot be cut exactly.
   */
  chunks?: (targetBytes: number) => { dialect: import('./chunks.js').ChunkDialect; items: AsyncIterable<import('./chunks.js').ChunkItem> } | undefined;
  /** About how many rows the file has, from the density of its first chunk (sizes the duplicate index). */
  estimatedRows: number;
  /**
   * With `hash`: the SHA-256 (hex) of the bytes this pass read, once it has read to the end of the
   * file; undefined before (or without `hash`).
   */
  sha256(): string | undefined;
}

/** Parsed records of one chunk of the file: each record's fields and the line it starts on. */
export type RawBatch = { fields: string[]; line: number }[];

export interface ReadCsvOptions {
  /** Text encoding of the file: utf-8 (default), windows-1252, latin1 / iso-8859-1, utf-16le, utf-16be. */
  encoding?: string;
  /** `--header-line`: the line the header row is on; without it the header is found (see HeaderFinder). */
  headerLine?: number;
  /** `--phone-column`: a row naming it counts as a header when the header is looked for. */
  phoneColumn?: string;
  /** Hash the bytes as they are read (OpenedCsv.sha256): what a send records is what it linted. */
  hash?: boolean;
}

/** A `--where` condition on one column. */
export interface WhereCondition {
  column: string;
  op: '=' | '!=' | '~';
  value: string;
}

export interface ClassifyOptions {
  phoneColumn?: string;
  consentColumn?: string;
  /** `--consent-yes`: more answers that mean yes. */
  consentYes?: string[];
  /** `--international`: numbers without `+` start with their country code. */
  international?: boolean;
  /** ISO 3166-1 alpha-2 for numbers written without `+`. */
  defaultCountry?: string;
  /** E.164 numbers never to message. */
  suppressed?: ReadonlySet<string>;
  where?: WhereCondition[];
  /** Columns the template uses: an empty value in one of them puts the row in `missing_variable`. */
  requiredVariables?: string[];
  /** Consent older than this many days is a finding (`consent-stale`); the row is then `no_consent`. */
  consentMaxAgeDays?: number;
  /** "now" for consent age, injectable for tests. */
  now?: Date;
}

/** A row after classification. */
export interface ClassifiedRow {
  line: number;
  bucket: Bucket;
  /** E.164 number when it could be normalised. */
  phone?: string;
  record: Record<string, string>;
  /**
   * A "no" for a number an earlier row (this line) made sendable: the explicit no wins, so the
   * earlier row must not be sent either (a stream cannot take back what it already yielded).
   */
  revokes?: number;
}

/** The columns the tool interpreted (lint --json `columns`). */
export interface ContactSourceInfo {
  phoneColumn: string;
  consentColumn: string;
  /** Other phone columns, best first: read when the phone cell is empty. */
  phoneFallbacks?: string[];
  /** Columns whose truthy value keeps a row out (do not contact, blacklisted, deceased, withdrawn...). */
  doNotContact?: string[];
  /** Each contact's country, for national numbers. */
  countryColumn?: string;
  /** When and where consent was given (its evidence; `--consent-max-age` reads the date). */
  consentDateColumn?: string;
  consentSourceColumn?: string;
}


/** Findings are reported through a callback so that the stream never holds them all twice. */
export type FindingSink = (f: Finding) => void;
