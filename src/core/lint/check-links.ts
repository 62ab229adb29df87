import pLimit from 'p-limit';
import type { LinkKind, Template } from '../template/types.js';
import type { Finding } from '../findings.js';
import { extractLinks, linkKey } from './extract-links.js';
import { analyseUrl, isPdfTarget, isVideoTarget, sameOwner } from './link-hosts.js';
import { shortenerOf } from './shorteners.js';

/**
 * Rules only the online checks of issue 10 give. Not yet in allRules(): the README's rule table
 * (checked by test/unit/docs/readme.test.ts) gets their rows when this branch is merged.
 */

export interface CheckLinksOptions {
  timeoutMs?: number;
  concurrency?: number;
  maxRedirects?: number;
}

const HTML_LIMIT = 64 * 1024;
const USER_AGENT = 'Mozilla/5.0 (compatible; campaign-link-check/0.1)';

interface Hop {
  url: string;
  status: number;
  contentType: string;
  response: Response;
}

interface Outcome {
  chain: Hop[];
  /** Every address asked for, including one that failed. */
  visited: string[];
  error?: string;
}

async function request(url: string, method: 'HEAD' | 'GET', timeoutMs: number): Promise<Response> {
  return fetch(url, { method, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { 'user-agent': USER_AGENT, accept: '*/*' } });
}

function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = e.cause?.code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'its host name does not resolve (DNS)';
  if (code) return `connection failed (${code})`;
  return `request failed (${e.cause?.message ?? e.message ?? 'unknown error'})`;
}

async function follow(start: string, timeoutMs: number, maxRedirects: number): Promise<Outcome> {
  const chain: Hop[] = [];
  const visited: string[] = [];
  let url = start;
  for (let i = 0; i <= maxRedirects; i++) {
    visited.push(url);
    let response: Response;
    try {
      response = await request(url, 'HEAD', timeoutMs);
      // Some servers refuse HEAD; asking again with GET is safe, it changes nothing.
      if (response.status === 405 || response.status === 501) response = await request(url, 'GET', timeoutMs);
    } catch (err) {
      return { chain, visited, error: `${url}: ${describe(err, timeoutMs)}` };
    }
    chain.push({ url, status: response.status, contentType: (response.headers.get('content-type') ?? '').toLowerCase(), response });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return { chain, visited };
    await response.body?.cancel().catch(() => undefined);
    try {
      url = new URL(location, url).href;
    } catch {
      return { chain, visited, error: `${url} redirects to an invalid address` };
    }
  }
  return { chain, visited, error: `more than ${maxRedirects} redirects` };
}

async function readHead(url: string, timeoutMs: number): Promise<string> {
  const res = await request(url, 'GET', timeoutMs);
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < HTML_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, HTML_LIMIT).toString('utf8');
}

/** og:type from the first 64 KB of an HTML page, in either attribute order. */
export function findOgType(html: string): string | null {
  for (const tag of html.match(/<meta\b[^>]*>/gi) ?? []) {
    if (!/(property|name)\s*=\s*["']?og:type["'\s>]/i.test(tag)) continue;
    const m = /content\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(tag);
    if (m) return (m[1] ?? m[2] ?? m[3]).trim().toLowerCase();
  }
  return null;
}

async function contentProblem(kind: LinkKind, final: Hop, timeoutMs: number): Promise<string | null> {
  const type = final.contentType.split(';')[0].trim();
  if (!type) return null;
  const target = analyseUrl(final.url);
  const isHtml = type === 'text/html' || type === 'application/xhtml+xml';
  switch (kind) {
    case 'video': {
      if (type.startsWith('video/') || /mpegurl/.test(type)) return null;
      if (!isHtml) return `serves ${type}, not a video`;
      if (isVideoTarget(target)) return null;
      let og: string | null = null;
      try {
        og = findOgType(await readHead(final.url, timeoutMs));
      } catch {
        return null;
      }
      return og?.startsWith('video') ? null : `serves a web page without og:type video (${og ? `og:type ${og}` : 'no og:type'}), not a video`;
    }
    case 'pdf':
      if (type === 'application/pdf') return null;
      if (type === 'application/octet-stream' && target.path.endsWith('.pdf')) return null;
      if (isHtml && isPdfTarget(target) && target.hostname === 'drive.google.com') return null;
      return `serves ${type}, not application/pdf`;
    case 'image':
      return type.startsWith('image/') ? null : `serves ${type}, not an image`;
    case 'audio':
      return type.startsWith('audio/') || type === 'application/ogg' ? null : `serves ${type}, not audio`;
    case 'page':
    case 'form':
      return type.startsWith('video/') || type.startsWith('audio/') || type.startsWith('image/') || type === 'application/pdf'
        ? `serves ${type}, not a web page`
        : null;
  }
}

async function checkOne(url: string, kind: LinkKind | undefined, opts: Required<CheckLinksOptions>): Promise<Finding[]> {
  const out: Finding[] = [];
  const push = (rule: string, severity: Finding['severity'], message: string) => out.push({ rule, severity, message: `${url}: ${message}`, value: url });
  const outcome = await follow(url, opts.timeoutMs, opts.maxRedirects);
  const chain = outcome.chain;
  const final = chain[chain.length - 1];
  try {
    if (outcome.visited.length > 1) {
      const steps = outcome.visited.map((u, i) => (chain[i] ? `${u} (${chain[i].status})` : u));
      push('link-redirect', 'info', `redirects: ${steps.join(' → ')}.`);
      for (const hop of outcome.visited.slice(1)) {
        const s = shortenerOf(analyseUrl(hop).hostname);
        if (s) push('link-shortener', 'error', `redirects through the shortener ${s} (${hop}). Link to the final address.`);
      }
    }
    if (outcome.error !== undefined) {
      push('link-broken', 'error', `${outcome.error}. Fix or replace the link.`);
      return out;
    }
    if (final.status >= 400) {
      push('link-broken', 'error', `answers HTTP ${final.status}${chain.length > 1 ? ` at ${final.url}` : ''}. Fix or replace the link.`);
      return out;
    }
    const shown = analyseUrl(url).domain;
    const landed = analyseUrl(final.url).domain;
    if (!sameOwner(shown, landed)) {
      push('link-redirect-domain', 'error', `shows ${shown} but ends on ${landed} (${final.url}). Link to the final address directly.`);
    }
    if (kind) {
      const problem = await contentProblem(kind, final, opts.timeoutMs);
      if (problem) push('link-content-mismatch', 'error', `is declared \`${kind}\` but ${final.url} ${problem}. Correct the kind or the link.`);
    }
    return out;
  } finally {
    await Promise.all(chain.map((h) => h.response.body?.cancel().catch(() => undefined)));
  }
}

function withDefaults(opts: CheckLinksOptions): Required<CheckLinksOptions> {
  return { timeoutMs: opts.timeoutMs ?? 10_000, concurrency: opts.concurrency ?? 4, maxRedirects: opts.maxRedirects ?? 10 };
}

/** Each URL fetched once, at most `concurrency` at a time: url → its findings. */
export async function checkUrls(urls: ReadonlyMap<string, LinkKind | undefined>, opts: CheckLinksOptions = {}): Promise<Map<string, Finding[]>> {
  const options = withDefaults(opts);
  const limit = pLimit(options.concurrency);
  const entries = [...urls];
  const results = await Promise.all(entries.map(([u, kind]) => limit(() => checkOne(u, kind, options))));
  return new Map(entries.map(([u], i) => [u, results[i]]));
}

/**
 * Follows every link of the template over the network and reports what the offline rules cannot see.
 * Links with {{placeholders}} are skipped here: their address differs per recipient, and each
 * rendered one is checked with the rows (see PerRecipientLinks).
 */
export async function checkLinksOnline(t: Template, opts: CheckLinksOptions = {}): Promise<Finding[]> {
  const kinds = new Map((t.meta?.links ?? []).map((l) => [linkKey(l.url), l]));
  const urls = new Map<string, LinkKind | undefined>();
  for (const link of extractLinks(t.body)) urls.set(link.href, kinds.get(linkKey(link.raw))?.kind);
  for (const l of t.meta?.links ?? []) if (![...urls.keys()].some((u) => linkKey(u) === linkKey(l.url))) urls.set(l.url, l.kind);
  for (const u of [...urls.keys()]) if (/\{\{/.test(u)) urls.delete(u);
  const findings = [...(await checkUrls(urls, opts)).values()].flat();
  const header = t.meta?.header;
  if (header && header.kind !== 'text' && header.url && !header.url.includes('{{')) {
    findings.push(...(await checkHeaderMedia(header.url, header.kind, opts)));
  }
  return findings;
}

/** Per-recipient links collected from the rows, up to a cap; fetched once each. */
export const MAX_ROW_URLS = 500;

export class PerRecipientLinks {
  readonly urls = new Map<string, LinkKind | undefined>();
  /** Distinct URLs seen beyond the cap (not fetched). */
  skipped = 0;
  private readonly over = new Set<string>();

  constructor(private readonly cap = MAX_ROW_URLS) {}

  add(url: string, kind: LinkKind | undefined): void {
    if (this.urls.has(url) || this.over.has(url)) return;
    if (this.urls.size < this.cap) this.urls.set(url, kind);
    else if (this.over.size < 1_000_000) (this.over.add(url), this.skipped++);
  }

  /** url → its error findings (only failing URLs), plus the summary finding when the cap was reached. */
  async check(opts: CheckLinksOptions = {}): Promise<{ failed: Map<string, Finding[]>; summary: Finding | null }> {
    const failed = new Map<string, Finding[]>();
    for (const [url, fs] of await checkUrls(this.urls, opts)) {
      const errors = fs.filter((f) => f.severity === 'error');
      if (errors.length) failed.set(url, errors);
    }
    const summary: Finding | null = this.skipped
      ? {
          rule: 'link-check-capped',
          severity: 'warning',
          message: `The contacts build more than ${this.cap} distinct links; --check-links fetched the first ${this.cap} and not the other ${this.skipped}${this.skipped >= 1_000_000 ? '+' : ''}. Build links from fewer distinct values, or check them in parts with --where.`,
        }
      : null;
    return { failed, summary };
  }
}

/** The Cloud API's media types and size limits per header kind (providers.md §1.11). */
export const HEADER_MEDIA: Record<'image' | 'video' | 'document', { types: string[]; maxBytes: number; what: string }> = {
  image: { types: ['image/jpeg', 'image/png'], maxBytes: 5 * 1024 * 1024, what: 'a JPEG or PNG image' },
  video: { types: ['video/mp4', 'video/3gpp'], maxBytes: 16 * 1024 * 1024, what: 'an MP4 or 3GPP video' },
  document: { types: ['application/pdf'], maxBytes: 100 * 1024 * 1024, what: 'a PDF document' },
};

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

/** Type and size from an answer: Content-Range's total for a ranged GET, else Content-Length. */
function mediaFacts(res: Response): { type: string; size: number | null } {
  const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  const range = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '');
  if (range) return { type, size: Number(range[1]) };
  const length = res.headers.get('content-length');
  return { type, size: res.status === 206 || length === null || !/^\d+$/.test(length) ? null : Number(length) };
}

/**
 * A header's media URL as the provider will fetch it: HEAD, then a ranged GET (`bytes=0-1023`) when
 * HEAD is refused or says nothing; its content-type and size must fit the kind and the limits.
 */
export async function checkHeaderMedia(url: string, kind: 'image' | 'video' | 'document', opts: CheckLinksOptions = {}): Promise<Finding[]> {
  const options = withDefaults(opts);
  const spec = HEADER_MEDIA[kind];
  const finding = (rule: string, message: string): Finding => ({ rule, severity: 'error', message: `header ${url}: ${message}`, value: url });
  let facts: { type: string; size: number | null; status: number } | null = null;
  try {
    const head = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(options.timeoutMs), headers: { 'user-agent': USER_AGENT, accept: '*/*' } });
    await head.body?.cancel().catch(() => undefined);
    const f = mediaFacts(head);
    if (head.ok && f.type && f.size !== null) facts = { ...f, status: head.status };
    if (!facts) {
      const get = await fetch(url, { method: 'GET', redirect: 'follow', signal: AbortSignal.timeout(options.timeoutMs), headers: { 'user-agent': USER_AGENT, accept: '*/*', range: 'bytes=0-1023' } });
      await get.body?.cancel().catch(() => undefined);
      const g = mediaFacts(get);
      facts = { type: g.type || f.type, size: g.size ?? f.size, status: get.status };
    }
  } catch (err) {
    return [finding('link-broken', `${describe(err, options.timeoutMs)}. The provider could not fetch it either: fix or replace the link.`)];
  }
  if (facts.status >= 400) return [finding('link-broken', `answers HTTP ${facts.status}; the provider could not fetch it either. Fix or replace the link.`)];
  const out: Finding[] = [];
  if (!spec.types.includes(facts.type)) {
    out.push(finding('link-content-mismatch', `the header is declared \`${kind}\` but the address serves ${facts.type || 'no content-type'}, not ${spec.what} (${spec.types.join(', ')}). Correct the kind or the file.`));
  }
  if (facts.size !== null && facts.size > spec.maxBytes) {
    out.push(finding('header-too-large', `the ${kind} is ${mb(facts.size)}; the Cloud API accepts at most ${mb(spec.maxBytes)} for a ${kind} header. Make it smaller.`));
  }
  return out;
}
