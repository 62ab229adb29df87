import type { Finding } from '../findings.js';
import { compactPhrase, joinCompact, someTokenStarts, tokenise, type Token } from './fold-text.js';
import { BANNED_NEAR, BANNED_TERMS, HIGH_RISK_TERMS, IMPERSONATION_TERMS } from './terms.js';

export interface TermMatch {
  /** The list entry that matched. */
  term: string;
  /** The text as written. */
  found: string;
  start: number;
  end: number;
}

const PREFIX = 4;

/** A compiled phrase list: compact form → entry. */
export class PhraseMatcher {
  private readonly phrases = new Map<string, string>();
  private readonly near: { anchor: string; context: Set<string>; within: number }[] = [];
  private maxLength = 0;
  /** Every key's first PREFIX characters (and shorter prefixes): most tokens start nothing, so stop early. */
  private readonly prefixes = new Set<string>();

  constructor(phrases: Iterable<string>, near: readonly { anchor: string; context: string[]; within: number }[] = []) {
    for (const p of phrases) this.add(p, p);
    for (const n of near) {
      const anchor = compactPhrase(n.anchor);
      this.near.push({ anchor, context: new Set(n.context.map(compactPhrase)), within: n.within });
      this.addPrefixes(anchor);
    }
  }

  /** Every prefix a match must start with (a phrase's first PREFIX characters, or fewer). */
  prefixSet(): ReadonlySet<string> {
    return this.prefixes;
  }

  private addPrefixes(key: string): void {
    for (let k = 1; k <= Math.min(PREFIX, key.length); k++) this.prefixes.add(key.slice(0, k));
  }

  private add(phrase: string, label: string): void {
    const key = compactPhrase(phrase);
    if (!key) return;
    if (!this.phrases.has(key)) this.phrases.set(key, label);
    this.addPrefixes(key);
    this.maxLength = Math.max(this.maxLength, key.length);
  }

  /** Whole-word matches: a match starts at a word start and ends at a word end. */
  match(text: string, tokens: Token[] = tokenise(text)): TermMatch[] {
    const out: TermMatch[] = [];
    for (let i = 0; i < tokens.length; i++) {
      let compact = '';
      for (let j = i; j < tokens.length; j++) {
        compact = joinCompact(compact, tokens[j].text);
        if (compact.length > this.maxLength || !this.prefixes.has(compact.slice(0, PREFIX))) break;
        const term = this.phrases.get(compact);
        if (term !== undefined) {
          out.push({ term, found: text.slice(tokens[i].start, tokens[j].end), start: tokens[i].start, end: tokens[j].end });
          i = j;
          break;
        }
        const nearHit = this.near.find((n) => n.anchor === compact && this.hasContext(tokens, i, j, n));
        if (nearHit) {
          const from = Math.max(0, i - nearHit.within);
          const to = Math.min(tokens.length - 1, j + nearHit.within);
          out.push({ term: nearHit.anchor, found: text.slice(tokens[from].start, tokens[to].end), start: tokens[i].start, end: tokens[j].end });
          i = j;
          break;
        }
      }
    }
    return out;
  }

  private hasContext(tokens: Token[], i: number, j: number, n: { context: Set<string>; within: number }): boolean {
    for (let k = Math.max(0, i - n.within); k <= Math.min(tokens.length - 1, j + n.within); k++) {
      if ((k < i || k > j) && n.context.has(tokens[k].text)) return true;
    }
    return false;
  }
}

const banned = new PhraseMatcher(BANNED_TERMS, BANNED_NEAR);
const impersonation = new PhraseMatcher(IMPERSONATION_TERMS);
const highRisk = Object.entries(HIGH_RISK_TERMS).map(([why, phrases]) => ({ why, matcher: new PhraseMatcher(phrases) }));
/**
 * The prefixes of every list at once: a match starts at a token whose first PREFIX characters
 * are one of them, and most values (names, cities) have no such token, so one look per token
 * spares them the seven matchers (the content rules ran on every distinct value of a 1M list).
 */
const ANY_PREFIX = new Set<string>([banned, impersonation, ...highRisk.map((h) => h.matcher)].flatMap((m) => [...m.prefixSet()]));

export interface ScanOptions {
  /** Prefix for messages, e.g. "invite.md line 4" or "column city". */
  where?: string;
}

/**
 * Content rules on any text: a template body, or a CSV value that goes into a message.
 * Returns banned-term, impersonation and high-risk-term findings, one per distinct match.
 */
export function scanText(text: string, opts: ScanOptions = {}): Finding[] {
  if (!someTokenStarts(text, ANY_PREFIX, PREFIX)) return [];
  const tokens = tokenise(text);
  const at = opts.where ? `${opts.where}: ` : '';
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const push = (f: Finding) => {
    const key = `${f.rule}\0${f.value}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push(f);
  };
  for (const m of banned.match(text, tokens)) {
    push({
      rule: 'banned-term',
      severity: 'error',
      message: `${at}"${m.found}" is a child-abuse term; WhatsApp bans accounts that send it, even as a joke or a name. Remove or rephrase it.`,
      value: m.found,
    });
  }
  for (const m of impersonation.match(text, tokens)) {
    push({
      rule: 'impersonation',
      severity: 'error',
      message: `${at}"${m.found}" reads as WhatsApp/Meta speaking or as an account threat; WhatsApp bans senders who impersonate it. Speak only in your organisation's name.`,
      value: m.found,
    });
  }
  for (const { why, matcher } of highRisk) {
    for (const m of matcher.match(text, tokens)) {
      push({
        rule: 'high-risk-term',
        severity: 'warning',
        message: `${at}"${m.found}" is a ${why} phrase that recipients report as spam or abuse. Rephrase it unless it is essential.`,
        value: m.found,
      });
    }
  }
  return findings;
}
