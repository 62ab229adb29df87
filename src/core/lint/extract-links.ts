import { parseHost } from './tld.js';

export interface BodyLink {
  /** As written in the body, trailing punctuation removed. */
  raw: string;
  /** `raw` with a scheme added when it was written bare (`www.x.com/...`, `x.com/path`). */
  href: string;
  bare: boolean;
  start: number;
  end: number;
  /** 0-based line offset inside the body. */
  lineOffset: number;
}

export interface DomainMention {
  domain: string;
  start: number;
  end: number;
}

const PLACEHOLDER_OR_CHAR = String.raw`(?:\{\{[^{}\n]*\}\}|[^\s<>"'\[\]{}])`;
const SCHEME_URL = new RegExp(String.raw`\bhttps?:\/\/(?:\[[0-9a-f:.]+\])?${PLACEHOLDER_OR_CHAR}*`, 'gi');
const WWW_URL = new RegExp(String.raw`(?<![\w@./:-])www\.${PLACEHOLDER_OR_CHAR}+`, 'gi');
const BARE_WITH_PATH = new RegExp(String.raw`(?<![\w@./:-])(?:[a-z0-9-]+\.)+[a-z]{2,}\/${PLACEHOLDER_OR_CHAR}*`, 'gi');
const BARE_DOMAIN = /(?<![\w@./:-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?![\w@/-]|\.[a-z0-9])/gi;
// File extensions that are also TLDs: "video.mov" in a sentence is a file name, not a site.
const NOT_SITE_SUFFIXES = new Set(['mov', 'zip', 'mp', 'pdf', 'jpg', 'png']);

function trimTrailing(raw: string): string {
  let s = raw;
  for (;;) {
    const last = s[s.length - 1];
    if (/[.,;:!?¡¿'"»”’…*_~]/.test(last)) s = s.slice(0, -1);
    else if (last === ')' && (s.match(/\(/g)?.length ?? 0) < (s.match(/\)/g)?.length ?? 0)) s = s.slice(0, -1);
    else return s;
  }
}

function isSite(host: string): boolean {
  const p = parseHost(host);
  return Boolean(p.domain && p.isIcann && p.publicSuffix && !NOT_SITE_SUFFIXES.has(p.publicSuffix));
}

/** Every link in the text: http(s) URLs, `www.` forms and bare `domain.tld/path` forms, in order. */
export function extractLinks(body: string): BodyLink[] {
  const taken: [number, number][] = [];
  const links: BodyLink[] = [];
  const overlaps = (s: number, e: number) => taken.some(([a, b]) => s < b && e > a);
  const add = (m: RegExpMatchArray, bare: boolean) => {
    const raw = trimTrailing(m[0]);
    const start = m.index ?? 0;
    const end = start + raw.length;
    if (raw.length < 4 || overlaps(start, end)) return;
    if (bare && !isSite(raw.split('/')[0])) return;
    taken.push([start, end]);
    links.push({ raw, href: bare ? `https://${raw}` : raw, bare, start, end, lineOffset: body.slice(0, start).split('\n').length - 1 });
  };
  for (const m of body.matchAll(SCHEME_URL)) add(m, false);
  for (const m of body.matchAll(WWW_URL)) add(m, true);
  for (const m of body.matchAll(BARE_WITH_PATH)) add(m, true);
  return links.sort((a, b) => a.start - b.start);
}

/** Bare domain names written in the text outside links and e-mail addresses (`partido.es`, `youtube.com`). */
export function extractDomainMentions(body: string, links: BodyLink[]): DomainMention[] {
  const out: DomainMention[] = [];
  for (const m of body.matchAll(BARE_DOMAIN)) {
    const start = m.index ?? 0;
    const end = start + m[0].length;
    if (links.some((l) => start < l.end && end > l.start)) continue;
    if (!isSite(m[0])) continue;
    out.push({ domain: m[0].toLowerCase(), start, end });
  }
  return out;
}

/** Key for comparing a body link with a declared one: scheme, host case and a trailing slash do not count. */
export function linkKey(raw: string): string {
  const s = raw.trim().replace(/\{\{\s*([^{}]*?)\s*\}\}/g, '{{$1}}');
  const m = /^(?:https?:\/\/)?([^/?#]*)(.*)$/i.exec(s);
  if (!m) return s;
  const host = m[1].toLowerCase().replace(/:(80|443)$/, '');
  return host + m[2].replace(/\/$/, '');
}
