/**
 * The journal: JSON Lines, append-only (see the contract's "Journal"). Line 1 is the header;
 * every later line is one event about one recipient (keyed by E.164 `to`) or about the campaign.
 */
export const JOURNAL_VERSION = 1;

export interface JournalHeader {
  type: 'header';
  version: number;
  campaign: string;
  at: string;
  contacts: { path: string; sha256: string };
  template: { path: string; sha256: string } | null;
  provider: string;
  /** Options that shape who gets what (never a secret). */
  options: Record<string, unknown>;
}

export type JournalEvent =
  | { type: 'attempt'; to: string; at: string; line?: number; n?: number }
  | { type: 'sent'; to: string; at: string; id: string }
  | { type: 'failed'; to: string; at: string; code: string; permanent: boolean; class?: string; message?: string }
  | { type: 'skipped'; to: string; at: string; reason: string; line?: number }
  | { type: 'halt'; at: string; reason: string; code?: string; to?: string }
  | { type: 'status'; to: string; at: string; id: string; status: 'sent' | 'delivered' | 'read' | 'failed'; code?: string | number; provider_at?: string }
  | { type: 'optout'; to: string; at: string; source: string }
  | { type: 'resume'; at: string; pid?: number; changed?: string[] };

export type JournalLine = JournalHeader | JournalEvent;

/** Per-recipient state after reducing the journal. */
export type RecipientState = 'pending' | 'uncertain' | 'sent' | 'failed' | 'failed-retryable' | 'skipped';
