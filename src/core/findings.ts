export type Severity = 'error' | 'warning' | 'info';

/** One lint finding, exactly the shape of the contract's lint JSON. */
export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  /** 1-based line in the input file where the finding is about a row (absent for template findings). */
  line?: number;
  column?: string;
  value?: string;
}

/** A rule's catalogue entry: the README's table is generated from these. */
export interface RuleInfo {
  id: string;
  severity: Severity;
  /** What the rule catches, one line. */
  summary: string;
  /** What to do about it, one line. */
  fix: string;
}

/** The contract's `contacts` buckets: every row lands in exactly one besides `rows`. */
export type Bucket =
  | 'sendable'
  | 'no_consent'
  | 'invalid_phone'
  | 'duplicate'
  | 'suppressed'
  | 'filtered_out'
  | 'missing_variable';

export const BUCKETS: readonly Bucket[] = [
  'sendable', 'no_consent', 'invalid_phone', 'duplicate', 'suppressed', 'filtered_out', 'missing_variable',
];

/**
 * Two buckets come from history, not from the row: `already_messaged` (the repeat guard, present
 * whenever it is on) and `recently_messaged` (only with `--min-interval`).
 */
export type ContactCounts = { rows: number; already_messaged?: number; recently_messaged?: number } & Record<Bucket, number>;

export function emptyCounts(): ContactCounts {
  return { rows: 0, sendable: 0, no_consent: 0, invalid_phone: 0, duplicate: 0, suppressed: 0, filtered_out: 0, missing_variable: 0 };
}
