import type { Template } from './types.js';

/** Column-name key used for matching: case, accents and space/_/- differences do not count. */
export function normaliseColumnName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .trim()
    .replace(/[\s_-]+/g, '_');
}

export interface ColumnBinding {
  /** Placeholder / params / button_params name → the CSV header's spelling. */
  columns: Map<string, string>;
  /** Names the header does not have, in order of first use. */
  missing: string[];
}

/** `{{name}}` placeholders of a front matter string (header text or URL), in order. */
export function placeholderNames(text: string | undefined): string[] {
  return text ? [...text.matchAll(/\{\{([^{}]*)\}\}/g)].map((m) => m[1].trim()) : [];
}
const namesIn = placeholderNames;

/** Where a column is read, for messages: `{{name}}`, `params entry name`, `header text {{name}}`, ... */
export interface ColumnUse {
  name: string;
  source: string;
}

/**
 * Every use of a column: body placeholders, params, button_params (url buttons' `param`), the
 * header's text and url, and links built from a column. A row must have each one.
 */
export function columnUses(t: Template): ColumnUse[] {
  const m = t.meta;
  return [
    ...t.placeholders.map((name) => ({ name, source: `{{${name}}}` })),
    ...(m?.params ?? []).map((name) => ({ name, source: `params entry ${name}` })),
    ...(m?.button_params ?? []).map((name) => ({ name, source: `button_params entry ${name}` })),
    ...(m?.buttons ?? []).flatMap((b) => (b.type === 'url' && b.param ? [{ name: b.param, source: `url button param ${b.param}` }] : [])),
    ...namesIn(m?.header?.text).map((name) => ({ name, source: `header text {{${name}}}` })),
    ...namesIn(m?.header?.url).map((name) => ({ name, source: `header url {{${name}}}` })),
    ...(m?.links ?? []).flatMap((l) => namesIn(l.url).map((name) => ({ name, source: `link ${l.url}` }))),
  ];
}

/** Every column name the template reads, each once, in order of first use. */
export function templateColumns(t: Template): string[] {
  return [...new Set(columnUses(t).map((u) => u.name))];
}

/** Maps each column the template uses to the header's actual name; exact spelling wins over a normalised match. */
export function bindColumns(t: Template, header: string[]): ColumnBinding {
  const byKey = new Map<string, string>();
  for (const h of header) {
    const key = normaliseColumnName(h);
    if (!byKey.has(key)) byKey.set(key, h);
  }
  const columns = new Map<string, string>();
  const missing: string[] = [];
  for (const name of templateColumns(t)) {
    const actual = header.includes(name) ? name : byKey.get(normaliseColumnName(name));
    if (actual === undefined) missing.push(name);
    else columns.set(name, actual);
  }
  return { columns, missing };
}

type Lookup = (record: Record<string, string>) => string;

function makeLookup(name: string, binding?: ColumnBinding): Lookup {
  let column = binding?.columns.get(name) ?? name;
  return (record) => {
    const v = record[column];
    if (v !== undefined) return v;
    // Records from another header spelling: resolve once, then stay on the fast path.
    const key = normaliseColumnName(name);
    const found = Object.keys(record).find((k) => normaliseColumnName(k) === key);
    if (found === undefined) return '';
    column = found;
    return record[found];
  };
}

/** Precompiles the body into literal parts and lookups; the returned function renders one record. */
export function compileTemplate(t: Template, binding?: ColumnBinding): (record: Record<string, string>) => string {
  const literals: string[] = [];
  const lookups: Lookup[] = [];
  const byName = new Map<string, Lookup>();
  let last = 0;
  for (const m of t.body.matchAll(/\{\{([^{}]*)\}\}/g)) {
    literals.push(t.body.slice(last, m.index));
    const name = m[1].trim();
    let lookup = byName.get(name);
    if (!lookup) byName.set(name, (lookup = makeLookup(name, binding)));
    lookups.push(lookup);
    last = m.index + m[0].length;
  }
  const tail = t.body.slice(last);
  if (lookups.length === 0) return () => tail;
  return (record) => {
    let out = literals[0] + lookups[0](record);
    for (let i = 1; i < lookups.length; i++) out += literals[i] + lookups[i](record);
    return out + tail;
  };
}

const compiled = new WeakMap<Template, (record: Record<string, string>) => string>();

/** Renders the body for one record (compiled once per template and cached). */
export function renderBody(t: Template, record: Record<string, string>): string {
  let fn = compiled.get(t);
  if (!fn) compiled.set(t, (fn = compileTemplate(t)));
  return fn(record);
}

// Cloud API rejects template parameters containing newlines, tabs or more than 4 consecutive spaces (error 132018).
function cleanParam(value: string): string {
  return value.replace(/[\r\n\t]+/g, ' ').replace(/ {5,}/g, '    ').trim();
}

const lookupCache = new WeakMap<Template, Map<string, Lookup>>();

function lookupFor(t: Template, name: string): Lookup {
  let cache = lookupCache.get(t);
  if (!cache) lookupCache.set(t, (cache = new Map()));
  let lookup = cache.get(name);
  if (!lookup) cache.set(name, (lookup = makeLookup(name)));
  return lookup;
}

function valuesOf(t: Template, names: string[] | undefined, record: Record<string, string>): string[] {
  if (!names || names.length === 0) return [];
  return names.map((name) => cleanParam(lookupFor(t, name)(record)));
}

/** Values of `meta.params` for this record, in order, cleaned for the provider. */
export function templateParams(t: Template, record: Record<string, string>): string[] {
  return valuesOf(t, t.meta?.params, record);
}

/** Values of `meta.button_params` for this record: the suffixes appended to the approved URL buttons. */
export function buttonSuffixes(t: Template, record: Record<string, string>): string[] {
  return valuesOf(t, t.meta?.button_params, record).map((v) => encodeURI(v));
}

/**
 * A front matter string rendered for this record: `{{name}}` replaced by the column's value,
 * cleaned as a parameter; `url` also URI-encodes the values (a link built from a column).
 */
export function renderField(t: Template, text: string, record: Record<string, string>, opts: { url?: boolean } = {}): string {
  return text.replace(/\{\{([^{}]*)\}\}/g, (_, name: string) => {
    const value = cleanParam(lookupFor(t, name.trim())(record));
    return opts.url ? encodeURI(value) : value;
  });
}

/** Text header parameters for this record: the values of its placeholders, in order. */
export function headerTextParams(t: Template, record: Record<string, string>): string[] {
  return valuesOf(t, placeholderNames(t.meta?.header?.text), record);
}

/**
 * The buttons' per-message parts: URL suffixes (from the button's column) and quick-reply payloads,
 * each with the button's position. An opt-out button's payload starts with OPTOUT, which the
 * webhook reads as a stop (webhook/optout.ts isOptOutButton).
 */
export function buttonParts(t: Template, record: Record<string, string>): { urlButtons: { index: number; suffix: string }[]; quickReplies: { index: number; payload: string }[] } {
  const urlButtons: { index: number; suffix: string }[] = [];
  const quickReplies: { index: number; payload: string }[] = [];
  const buttons = t.meta?.buttons;
  if (!buttons?.length) {
    buttonSuffixes(t, record).forEach((suffix, index) => urlButtons.push({ index, suffix }));
    return { urlButtons, quickReplies };
  }
  buttons.forEach((b, index) => {
    if (b.type === 'url') {
      if (b.param) urlButtons.push({ index, suffix: encodeURI(cleanParam(lookupFor(t, b.param)(record))) });
    } else {
      quickReplies.push({ index, payload: `${b.optout ? 'OPTOUT' : 'REPLY'}:${cleanParam(b.text)}`.slice(0, 128) });
    }
  });
  return { urlButtons, quickReplies };
}

/** Columns the template uses whose value in this record is empty or absent (the `missing_variable` bucket). */
export function missingValues(t: Template, record: Record<string, string>): string[] {
  return templateColumns(t).filter((name) => lookupFor(t, name)(record).trim() === '');
}
