import type { Finding } from '../findings.js';
import { compileTemplate, type ColumnBinding } from '../template/render.js';
import type { DeclaredLink, HeaderKind, LinkKind, Template } from '../template/types.js';
import { extractLinks, linkKey } from './extract-links.js';
import { lintLinks } from './link-rules.js';
import { scanText } from './scan-text.js';

/**
 * Checks of what each recipient really receives (issue 10 item 7): the content rules on the values a
 * row substitutes, and the offline link rules on every link a row's values build. The template's own
 * text is linted once elsewhere; here only what the data brings is reported, each distinct value
 * (and each distinct set of link values) checked once and cached, so a million rows stay fast.
 */

/** A link one row's message carries that the data built: checked online by --check-links. */
export interface RowLink {
  url: string;
  column: string;
  kind?: LinkKind;
}

export interface RowCheck {
  /** Findings about this row's values, without `line` (the caller adds it). */
  findings: Finding[];
  /** The per-recipient links of this row. */
  links: RowLink[];
}

/** The link kind a header kind must be. */
export const HEADER_LINK_KIND: Record<Exclude<HeaderKind, 'text'>, LinkKind> = { image: 'image', video: 'video', document: 'pdf' };

// Past this many entries a cache starts again: memory stays bounded on lists of unique values.
const CACHE_LIMIT = 32_768;
const PATH_MARK = '\u0000row';
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

const NOTHING: { findings: Finding[]; hasLink: boolean } = Object.freeze({ findings: Object.freeze([]) as unknown as Finding[], hasLink: false });

function namesIn(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

function remember<V>(cache: Map<string, V>, key: string, make: () => V): V {
  let v = cache.get(key);
  if (v === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, (v = make()));
  }
  return v;
}

/** "x.md line 3: msg" from lintLinks on a synthetic template → "msg". */
function stripWhere(message: string): string {
  return message.startsWith(PATH_MARK) ? message.replace(/^\u0000row( line \d+)?: /, '') : message;
}

export interface RowChecker {
  check(record: Record<string, string>, text: string): RowCheck;
}

/** Null when the template takes nothing from the data that these checks look at. */
export function compileRowChecks(t: Template, binding: ColumnBinding): RowChecker | null {
  const meta = t.meta;
  const column = (name: string) => binding.columns.get(name) ?? name;
  const valueOf = (record: Record<string, string>, name: string) => record[column(name)] ?? '';
  const fill = (text: string) => compileTemplate({ ...t, body: text }, binding);

  const bodyLinks = extractLinks(t.body);
  const staticKeys = new Set(bodyLinks.filter((l) => !l.raw.includes('{{')).map((l) => linkKey(l.raw)));
  // Columns that build a link of the body or a declared link: their values always count as links.
  const linkColumns = new Set<string>();
  for (const l of bodyLinks) for (const n of namesIn(l.raw)) linkColumns.add(n);
  // A declared link as the body carries it once rendered: a value with a space ends the link there.
  const declaredLink = (url: string) => {
    const render = fill(url);
    return (record: Record<string, string>) => { const u = render(record); return extractLinks(u)[0]?.raw ?? u; };
  };
  const declared = (meta?.links ?? []).map((l) => ({ decl: l, render: l.url.includes('{{') ? declaredLink(l.url) : null }));
  for (const d of declared) if (d.render) for (const n of namesIn(d.decl.url)) linkColumns.add(n);
  const buttonColumns = [...(meta?.button_params ?? []), ...(meta?.buttons ?? []).flatMap((b) => (b.type === 'url' && b.param ? [b.param] : []))];
  const header = meta?.header;
  const headerText = header?.kind === 'text' && header.text ? header.text : '';
  // Every column whose value reaches the recipient as text.
  const valueColumns = [...new Set([...t.placeholders, ...(meta?.params ?? []), ...namesIn(headerText), ...buttonColumns])];
  const headerUrl = header && header.kind !== 'text' && header.url?.includes('{{') ? { render: fill(header.url), kind: HEADER_LINK_KIND[header.kind], columns: namesIn(header.url) } : null;
  if (valueColumns.length === 0 && !headerUrl) return null;

  const valueCache = new Map<string, { findings: Finding[]; hasLink: boolean }>();
  const linkCache = new Map<string, { finding: Finding; column: string }[]>();
  const headerCache = new Map<string, Finding[]>();

  const scanValue = (value: string) => {
    const known = valueCache.get(value);
    if (known) return known;
    // A link needs a dot or a scheme: most values (names, cities) are spared the link scan.
    const scanned = { findings: scanText(value), hasLink: /[.:]/.test(value) && extractLinks(value).length > 0 };
    // Only a value with something to say is kept: a list's unique values (names) cost more to
    // remember than to scan again, now that a value with no term's prefix is dismissed at once.
    if (scanned.findings.length === 0 && !scanned.hasLink) return NOTHING;
    return remember(valueCache, value, () => scanned);
  };

  /** The offline link rules on the rendered message, reporting only links the data built. */
  const bodyLinkFindings = (record: Record<string, string>, text: string, columns: string[]) => {
    const key = JSON.stringify(columns.map((c) => valueOf(record, c)));
    return remember(linkCache, key, () => {
      const links: DeclaredLink[] = declared.map((d) => ({ url: d.render ? d.render(record) : d.decl.url, kind: d.decl.kind }));
      const synthetic: Template = { ...t, path: PATH_MARK, body: text, meta: meta ? { ...meta, links } : null };
      const out: { finding: Finding; column: string }[] = [];
      for (const f of lintLinks(synthetic)) {
        if (!f.value || f.rule === 'link-declared-absent' || staticKeys.has(linkKey(f.value))) continue;
        const from = columns.find((c) => { const v = valueOf(record, c).trim(); return v !== '' && (f.value!.includes(v) || v.includes(f.value!)); }) ?? columns[0];
        out.push({ finding: { ...f, message: `column "${column(from)}": ${stripWhere(f.message)}` }, column: column(from) });
      }
      return out;
    });
  };

  return {
    check(record, text) {
      const findings: Finding[] = [];
      const links: RowLink[] = [];
      const linkValued: string[] = [];
      for (const name of valueColumns) {
        const value = valueOf(record, name);
        if (!value.trim()) continue;
        const scanned = scanValue(value);
        for (const f of scanned.findings) findings.push({ ...f, message: `column "${column(name)}": ${f.message}`, column: column(name) });
        if (scanned.hasLink || linkColumns.has(name)) linkValued.push(name);
      }
      if (linkValued.length) {
        for (const { finding, column: c } of bodyLinkFindings(record, text, linkValued)) findings.push({ ...finding, column: c });
        // What the online check fetches: the rendered message's links that the data built.
        const kinds = new Map(declared.map((d) => [linkKey(d.render ? d.render(record) : d.decl.url), d.decl.kind]));
        for (const l of extractLinks(text)) {
          if (staticKeys.has(linkKey(l.raw))) continue;
          const from = linkValued.find((c) => { const v = valueOf(record, c).trim(); return v !== '' && (l.raw.includes(v) || v.includes(l.raw)); }) ?? linkValued[0];
          links.push({ url: l.href, column: column(from), kind: kinds.get(linkKey(l.raw)) });
        }
      }
      if (headerUrl) {
        const url = headerUrl.render(record);
        const col = column(headerUrl.columns[0] ?? '');
        const fs = remember(headerCache, url, () => {
          const synthetic: Template = { ...t, path: PATH_MARK, body: url, meta: meta ? { ...meta, links: [{ url, kind: headerUrl.kind }] } : null };
          return lintLinks(synthetic).filter((f) => f.rule !== 'link-declared-absent' && f.rule !== 'link-undeclared');
        });
        for (const f of fs) findings.push({ ...f, message: `header URL from column "${col}": ${stripWhere(f.message)}`, column: col });
        if (url.trim()) links.push({ url, column: col, kind: headerUrl.kind });
      }
      return { findings, links };
    },
  };
}
