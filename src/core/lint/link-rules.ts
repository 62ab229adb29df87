import { parseHost } from './tld.js';
import type { Template, LinkKind } from '../template/types.js';
import type { Finding, RuleInfo } from '../findings.js';
import { extractDomainMentions, extractLinks, linkKey, type BodyLink } from './extract-links.js';
import { tokenise } from './fold-text.js';
import {
  analyseUrl, inferKind, isAudioTarget, isDonationTarget, isFormTarget, isImageTarget, isPdfTarget, isThirdPartyHost,
  isVideoTarget, lookalikeReason, sameOwner, type LinkTarget,
} from './link-hosts.js';
import { PhraseMatcher } from './scan-text.js';
import { shortenerOf } from './shorteners.js';

export const LINK_RULES: RuleInfo[] = [
  { id: 'link-shortener', severity: 'error', summary: 'A link goes through a URL shortener, which hides its destination.', fix: 'Link to the final address on your own or the platform\'s domain.' },
  { id: 'link-ip-host', severity: 'error', summary: 'A link points at a raw IP address instead of a domain.', fix: 'Use a domain name your recipients recognise.' },
  { id: 'link-insecure', severity: 'error', summary: 'A link uses http: instead of https:.', fix: 'Use the https:// address.' },
  { id: 'link-credentials', severity: 'error', summary: 'A link embeds user:password@ before the host, a classic disguise.', fix: 'Remove everything between :// and the real host.' },
  { id: 'link-lookalike', severity: 'error', summary: 'A link\'s host imitates a brand or government domain (typo, punycode, mixed scripts).', fix: 'Link to the real domain, e.g. youtube.com, or to your own.' },
  { id: 'link-domain-mismatch', severity: 'error', summary: 'The text names one domain next to a link to another.', fix: 'Make the named domain and the link\'s domain the same.' },
  { id: 'link-undeclared', severity: 'error', summary: 'The body has a link the front matter `links` does not declare.', fix: 'Add it under `links:` with its url and kind.' },
  { id: 'link-declared-absent', severity: 'warning', summary: 'A link declared in front matter does not appear in the body.', fix: 'Remove the declaration or put the link in the text.' },
  { id: 'link-kind-mismatch', severity: 'error', summary: 'A declared kind does not fit the URL (video off a video host, pdf not ending .pdf, ...).', fix: 'Correct the `kind`, or link to a destination of that kind.' },
  { id: 'link-text-mismatch', severity: 'error', summary: 'Words next to a link promise something (a video, a PDF, a form, a donation page) the link is not.', fix: 'Make the text, the declared kind and the destination agree.' },
  { id: 'link-redirect', severity: 'info', summary: 'A link redirects (online check); the chain is shown.', fix: 'Link straight to the final address.' },
  { id: 'link-broken', severity: 'error', summary: 'A link fails: HTTP status 400 or above, DNS or connection failure, or timeout (online check).', fix: 'Fix or replace the link before sending.' },
  { id: 'link-redirect-domain', severity: 'error', summary: 'A link ends on a different domain from the one shown (online check).', fix: 'Link directly to the final domain.' },
  { id: 'link-content-mismatch', severity: 'error', summary: 'What a link serves contradicts its declared kind (online check).', fix: 'Correct the `kind` or the link.' },
  { id: 'link-check-capped', severity: 'warning', summary: 'The contacts build more distinct links than --check-links fetches (500); the rest are not fetched.', fix: 'Build links from fewer distinct values, or check the list in parts with --where.' },
];

const PROMISES: { promise: Promised; phrases: string[] }[] = [
  { promise: 'video', phrases: ['video', 'videos', 'videoclip', 'assista', 'assistir', 'watch', 'livestream', 'en directo', 'en vivo', 'ao vivo'] },
  { promise: 'pdf', phrases: ['pdf', 'programa electoral'] },
  { promise: 'download', phrases: ['descarga', 'descargar', 'descargate', 'descargalo', 'descargala', 'descarguen', 'descargue', 'baixar', 'baixe', 'download'] },
  {
    promise: 'form',
    phrases: ['formulario', 'form', 'inscribete', 'inscribite', 'inscripcion', 'inscripciones', 'inscreva', 'inscricao', 'registrate', 'registrese', 'sign up', 'signup', 'apuntate', 'cadastre', 'cadastro'],
  },
  {
    // "dona" alone is Catalan for "woman", so the Spanish imperative only counts with what usually follows it.
    promise: 'donation',
    phrases: ['dona aqui', 'dona ahora', 'dona ya', 'dona hoy', 'donar', 'donacion', 'donaciones', 'donativo', 'donativos', 'doar', 'doacao', 'doacoes', 'doe agora', 'doe aqui', 'donate', 'donation', 'donations'],
  },
];
export type Promised = 'video' | 'pdf' | 'download' | 'form' | 'donation';
export const PROMISE_TEXT: Record<Promised, string> = { video: 'a video', pdf: 'a PDF', download: 'a file to download', form: 'a form', donation: 'a donation page' };
const matchers = PROMISES.map((p) => ({ promise: p.promise, matcher: new PhraseMatcher(p.phrases) }));
const APP_WORDS = new Set(['ap', 'aplicacion', 'aplicativo']);

interface Context {
  t: Template;
  body: string;
  links: BodyLink[];
  own: Set<string>;
  out: Finding[];
}

function where(t: Template, link?: BodyLink): string {
  return link ? `${t.path} line ${t.bodyLine + link.lineOffset}` : t.path;
}

function ownDomains(t: Template): Set<string> {
  const own = new Set<string>();
  const extra = t.meta?.extra ?? {};
  for (const key of ['own_domains', 'own_domain', 'domain', 'domains']) {
    const v = extra[key];
    for (const d of Array.isArray(v) ? v : typeof v === 'string' ? [v] : []) {
      if (typeof d === 'string') own.add(parseHost(d).domain ?? d.toLowerCase());
    }
  }
  for (const l of t.meta?.links ?? []) {
    const target = analyseUrl(l.url);
    if (l.kind !== 'form' && !isThirdPartyHost(target) && !shortenerOf(target.hostname) && !lookalikeReason(target)) own.add(target.domain);
  }
  return own;
}

function kindFits(kind: LinkKind, target: LinkTarget, own: Set<string>): boolean {
  switch (kind) {
    case 'video': return isVideoTarget(target);
    case 'pdf': return isPdfTarget(target);
    case 'image': return isImageTarget(target);
    case 'audio': return isAudioTarget(target);
    case 'form': return isFormTarget(target, own);
    case 'page': return !['pdf', 'image', 'audio'].includes(inferKind(target)) && !/\.(mp4|webm|mov|m4v|m3u8|ogv)$/.test(target.path);
  }
}

function checkStatic(ctx: Context, link: BodyLink, target: LinkTarget): void {
  ctx.out.push(...staticUrlFindings(link.raw, target, where(ctx.t, link)));
}

/** The offline rules any link obeys, in the body or a header: shortener, raw IP, http:, credentials, lookalike. */
export function staticUrlFindings(raw: string, target: LinkTarget, at: string): Finding[] {
  const out: Finding[] = [];
  const push = (rule: string, message: string) => out.push({ rule, severity: 'error', message: `${at}: ${message}`, value: raw });
  const shortener = shortenerOf(target.hostname);
  if (shortener) push('link-shortener', `${raw} goes through the shortener ${shortener}, which hides where it leads. Link to the final address.`);
  if (target.isIp) push('link-ip-host', `${raw} points at a raw IP address. Use a domain name.`);
  if (/^http:/i.test(raw)) push('link-insecure', `${raw} uses http:. Use https://.`);
  if (target.url && (target.url.username || target.url.password)) {
    push('link-credentials', `${raw} has text before an @ in the host, so it really leads to ${target.hostname}. Remove the part before @.`);
  }
  const lookalike = lookalikeReason(target);
  if (lookalike) push('link-lookalike', `${raw} looks deceptive: ${lookalike}. Link to the real domain.`);
  return out;
}

function findPromise(ctx: Context, index: number): { promise: Promised; found: string } | null {
  const { body, links } = ctx;
  const link = links[index];
  const lineStart = body.lastIndexOf('\n', link.start - 1) + 1;
  const lineEndRaw = body.indexOf('\n', link.end);
  const lineEnd = lineEndRaw < 0 ? body.length : lineEndRaw;
  const prevEnd = index > 0 ? links[index - 1].end : 0;
  const nextStart = index + 1 < links.length ? links[index + 1].start : body.length;
  const segments: { from: number; text: string; before: boolean }[] = [];
  let beforeFrom = Math.max(lineStart, prevEnd);
  // A link alone on its line takes its promise from the line above ("Vídeo del acto:\nhttps://...").
  if (body.slice(beforeFrom, link.start).replace(/[\p{P}\p{S}\s]/gu, '') === '' && lineStart > 0 && prevEnd < lineStart) {
    beforeFrom = Math.max(body.lastIndexOf('\n', lineStart - 2) + 1, prevEnd);
  }
  segments.push({ from: beforeFrom, text: body.slice(beforeFrom, link.start), before: true });
  segments.push({ from: link.end, text: body.slice(link.end, Math.min(lineEnd, nextStart)), before: false });
  let best: { promise: Promised; found: string; distance: number } | null = null;
  for (const seg of segments) {
    const tokens = tokenise(seg.text);
    const aboutApp = tokens.some((tk) => APP_WORDS.has(tk.text));
    for (const { promise, matcher } of matchers) {
      if (promise === 'download' && aboutApp) continue;
      for (const m of matcher.match(seg.text, tokens)) {
        const distance = seg.before ? seg.text.length - m.end : m.start + 0.5;
        if (!best || distance < best.distance) best = { promise, found: m.found, distance };
      }
    }
  }
  return best && { promise: best.promise, found: best.found };
}

function promiseBroken(promise: Promised, declared: LinkKind | undefined, target: LinkTarget, own: Set<string>): string | null {
  const dest = target.hostname || target.rawHost;
  const kindSays = declared ? `is declared \`${declared}\`` : '';
  switch (promise) {
    case 'video':
      if (declared && declared !== 'video') return kindSays;
      return isVideoTarget(target) ? null : `leads to ${dest}, which is not a video host or video file`;
    case 'pdf':
      if (declared && declared !== 'pdf') return kindSays;
      return isPdfTarget(target) ? null : `does not lead to a .pdf file`;
    case 'download':
      if (declared === 'page' || declared === 'form') return kindSays;
      return ['page', 'form'].includes(inferKind(target)) && !isVideoTarget(target) ? `leads to a web page on ${dest}, not a file` : null;
    case 'form':
      if (declared && declared !== 'form') return kindSays;
      return isFormTarget(target, own) ? null : `leads to ${dest}, which is not a forms service or your own domain`;
    case 'donation':
      if (declared && declared !== 'page' && declared !== 'form') return kindSays;
      return isDonationTarget(target) ? null : `does not look like a donation page`;
  }
}

function checkText(ctx: Context, index: number, target: LinkTarget, declared: LinkKind | undefined): void {
  const link = ctx.links[index];
  const p = findPromise(ctx, index);
  if (!p) return;
  const why = promiseBroken(p.promise, declared, target, ctx.own);
  if (!why) return;
  ctx.out.push({
    rule: 'link-text-mismatch',
    severity: 'error',
    message: `${where(ctx.t, link)}: "${p.found}" promises ${PROMISE_TEXT[p.promise]}, but ${link.raw} ${why}. Make the text, the declared kind and the link agree.`,
    value: link.raw,
  });
}

/**
 * Promises the text makes away from its links (a header is what they speak of): matches on a line
 * with no link, and not on the line just above a link alone on its line.
 */
export function unlinkedPromises(body: string): { promise: Promised; found: string }[] {
  const links = extractLinks(body);
  const lines = body.split('\n');
  const out: { promise: Promised; found: string }[] = [];
  lines.forEach((line, i) => {
    if (links.some((l) => l.lineOffset === i)) return;
    const next = lines[i + 1];
    const linkAlone = links.some((l) => l.lineOffset === i + 1 && next.slice(0, next.indexOf(l.raw)).replace(/[\p{P}\p{S}\s]/gu, '') === '');
    if (linkAlone) return;
    const tokens = tokenise(line);
    const aboutApp = tokens.some((tk) => APP_WORDS.has(tk.text));
    for (const { promise, matcher } of matchers) {
      if (promise === 'download' && aboutApp) continue;
      for (const m of matcher.match(line, tokens)) out.push({ promise, found: m.found });
    }
  });
  return out;
}

const CONNECTORS = new Set(['y', 'e', 'o', 'u', 'ni', 'and', 'or', 'pero', 'but', 'mas', 'tambien', 'also', 'ademas']);

function checkMentions(ctx: Context): void {
  const { body, links } = ctx;
  for (const mention of extractDomainMentions(body, links)) {
    let nearest: { link: BodyLink; gap: string } | null = null;
    for (const link of links) {
      const gap = link.start >= mention.end ? body.slice(mention.end, link.start) : link.end <= mention.start ? body.slice(link.end, mention.start) : null;
      if (gap !== null && (!nearest || gap.length < nearest.gap.length)) nearest = { link, gap };
    }
    if (!nearest || nearest.gap.length > 40 || /\n\s*\n|[.!?](\s|$)/.test(nearest.gap)) continue;
    if (tokenise(nearest.gap).some((tk) => CONNECTORS.has(tk.text))) continue;
    const named = parseHost(mention.domain).domain ?? mention.domain;
    const target = analyseUrl(nearest.link.href);
    if (sameOwner(named, target.domain)) continue;
    ctx.out.push({
      rule: 'link-domain-mismatch',
      severity: 'error',
      message: `${where(ctx.t, nearest.link)}: the text names ${mention.domain} but the link ${nearest.link.raw} goes to ${target.domain}. Make them the same.`,
      value: nearest.link.raw,
    });
  }
}

/** Offline link rules for a template: everything decidable from the text and the front matter. */
export function lintLinks(t: Template): Finding[] {
  const links = extractLinks(t.body);
  const ctx: Context = { t, body: t.body, links, own: ownDomains(t), out: [] };
  const declared = new Map((t.meta?.links ?? []).map((l) => [linkKey(l.url), l]));
  const seen = new Set<string>();
  links.forEach((link, i) => {
    const key = linkKey(link.raw);
    const target = analyseUrl(link.href);
    const decl = declared.get(key);
    if (!seen.has(key)) {
      seen.add(key);
      checkStatic(ctx, link, target);
      if (t.meta && !decl) {
        ctx.out.push({
          rule: 'link-undeclared',
          severity: 'error',
          message: `${where(t, link)}: ${link.raw} is not declared in the front matter. Add it under \`links:\` with its kind.`,
          value: link.raw,
        });
      }
      if (decl && !kindFits(decl.kind, analyseUrl(decl.url), ctx.own)) {
        ctx.out.push({
          rule: 'link-kind-mismatch',
          severity: 'error',
          message: `${where(t, link)}: ${link.raw} is declared \`${decl.kind}\` but does not lead to ${decl.kind === 'page' ? 'a web page' : `a ${decl.kind}`} by its host or file type. Correct the kind or the link.`,
          value: link.raw,
        });
      }
    }
    checkText(ctx, i, target, decl?.kind);
  });
  const inBody = new Set(links.map((l) => linkKey(l.raw)));
  for (const [key, decl] of declared) {
    if (inBody.has(key)) continue;
    ctx.out.push({ rule: 'link-declared-absent', severity: 'warning', message: `${t.path}: ${decl.url} is declared in the front matter but not in the body. Remove it or use it.`, value: decl.url });
    if (!kindFits(decl.kind, analyseUrl(decl.url), ctx.own)) {
      ctx.out.push({ rule: 'link-kind-mismatch', severity: 'error', message: `${t.path}: ${decl.url} is declared \`${decl.kind}\` but does not fit that kind by its host or file type. Correct the kind or the link.`, value: decl.url });
    }
  }
  checkMentions(ctx);
  return ctx.out;
}
