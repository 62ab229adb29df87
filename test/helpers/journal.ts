/** Reading a journal the way the contract describes it, independently of src/core/journal. */
import { readJsonl } from './run-cli.js';

export type State = 'pending' | 'uncertain' | 'sent' | 'failed' | 'failed-retryable' | 'skipped';

export interface Journal {
  header: Record<string, any>;
  events: Record<string, any>[];
  torn: string | null;
  states: Map<string, State>;
  /** Recipients by state. */
  byState(state: State): string[];
}

export function readJournal(file: string): Journal {
  const { lines, torn } = readJsonl(file);
  if (lines.length === 0) throw new Error(`${file}: empty journal`);
  const [header, ...events] = lines;
  if (header.type !== 'header') throw new Error(`${file}: first line is not a header`);
  const states = new Map<string, State>();
  for (const e of events) {
    if (typeof e.to !== 'string') continue;
    if (e.type === 'attempt') states.set(e.to, 'uncertain');
    else if (e.type === 'sent') states.set(e.to, 'sent');
    else if (e.type === 'failed') states.set(e.to, e.permanent ? 'failed' : 'failed-retryable');
    else if (e.type === 'skipped') states.set(e.to, 'skipped');
  }
  return {
    header,
    events,
    torn,
    states,
    byState: (s) => [...states].filter(([, v]) => v === s).map(([to]) => to),
  };
}

/**
 * Every `sent` / `failed` follows an `attempt` for the same recipient with no other outcome in
 * between; every event has type, to (except campaign events) and an ISO `at`. Returns problems.
 */
export function journalProblems(j: Journal): string[] {
  const problems: string[] = [];
  const open = new Map<string, boolean>();
  for (const e of j.events) {
    if (typeof e.type !== 'string' || typeof e.at !== 'string' || Number.isNaN(Date.parse(e.at))) problems.push(`bad event ${JSON.stringify(e)}`);
    if (e.type === 'attempt') open.set(e.to, true);
    if (e.type === 'sent' || e.type === 'failed') {
      if (!open.get(e.to)) problems.push(`${e.type} for ${e.to} without an attempt before it`);
      open.set(e.to, false);
    }
    if (e.type === 'sent' && (typeof e.id !== 'string' || !e.id)) problems.push(`sent for ${e.to} without id`);
  }
  return problems;
}
