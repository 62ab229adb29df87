import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import nodePath from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { HEADER_KINDS, LINK_KINDS, type DeclaredLink, type Template, type TemplateButton, type TemplateHeader, type TemplateMeta } from './types.js';

/** The front matter keys this file validates. */
const KNOWN_KEYS = ['template', 'language', 'category', 'params', 'links', 'content_sid', 'button_params', 'header', 'footer', 'buttons', 'purpose', 'sender'] as const;
/** Keys other code reads from `extra` (the link rules' own domains): known, so never reported as unknown. */
const EXTRA_KEYS = ['own_domains', 'own_domain', 'domain', 'domains'] as const;
/** Every front matter key the tool reads; anything else is reported (`unknown-front-matter-key`). */
export const FRONT_MATTER_KEYS: readonly string[] = [...KNOWN_KEYS, ...EXTRA_KEYS];
const CATEGORIES = ['marketing', 'utility', 'authentication'] as const;
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

const columnList = (key: string) =>
  z
    .array(z.string({ error: (i) => `every \`${key}\` entry must be a CSV column name; found ${show(i.input)}.` }).trim().min(1, { error: `\`${key}\` has an empty entry.` }), {
      error: (i) => `\`${key}\` must be a list of CSV column names like [first_name, city]; found ${show(i.input)}.`,
    });

// A URL may come whole from a column (`"{{enlace}}"`): it is then checked in every rendered message.
const isHttpUrl = (s: string) => {
  if (/^\{\{[^{}]*\}\}/.test(s)) return true;
  const probe = s.replace(PLACEHOLDER, 'x');
  return /^https?:\/\//i.test(probe) && URL.canParse(probe);
};

const headerSchema = z
  .strictObject(
    {
      kind: z.enum(HEADER_KINDS as [string, ...string[]], {
        error: (i) => `header \`kind\` must be one of ${HEADER_KINDS.join(', ')}; found ${show(i.input)}.`,
      }),
      url: z
        .string({ error: (i) => `header \`url\` must be text; found ${show(i.input)}.` })
        .trim()
        .refine(isHttpUrl, { error: (i) => `header \`url\` must be a full address starting with https://; found ${show(i.input)}.` })
        .optional(),
      file: z.string({ error: (i) => `header \`file\` must be a path relative to the template; found ${show(i.input)}.` }).trim().min(1, { error: 'header `file` is empty.' }).optional(),
      filename: z.string({ error: (i) => `header \`filename\` must be text; found ${show(i.input)}.` }).trim().min(1, { error: 'header `filename` is empty.' }).optional(),
      text: z.string({ error: (i) => `header \`text\` must be text; found ${show(i.input)}.` }).trim().min(1, { error: 'header `text` is empty.' }).optional(),
    },
    {
      error: (i) =>
        i.code === 'unrecognized_keys'
          ? `\`header\` has an unknown key \`${i.keys.join('`, `')}\`; it takes kind, url, file, filename and text.`
          : `\`header\` must be a map with \`kind\` and \`url\`, \`file\` or \`text\`; found ${show(i.input)}.`,
    },
  )
  .superRefine((h, ctx) => {
    const fail = (message: string, key: string) => ctx.addIssue({ code: 'custom', message, path: [key] });
    if (h.kind === 'text') {
      if (h.text === undefined) fail('a `text` header needs `text:`, the header line as approved.', 'kind');
      if (h.url !== undefined || h.file !== undefined) fail('a `text` header has no `url` or `file`; use `kind: image`, `video` or `document` for media.', h.url !== undefined ? 'url' : 'file');
    } else {
      if ((h.url === undefined) === (h.file === undefined)) {
        fail(`a \`${h.kind}\` header needs exactly one of \`url:\` (a public https link) or \`file:\` (a local file)${h.url !== undefined ? '; it has both' : ''}.`, h.url !== undefined ? 'file' : 'kind');
      }
      if (h.text !== undefined) fail(`a \`${h.kind}\` header has no \`text\`; only \`kind: text\` headers do.`, 'text');
    }
    if (h.filename !== undefined && h.kind !== 'document') fail('only `document` headers have a `filename`.', 'filename');
  });

const buttonSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject(
      {
        type: z.literal('quick_reply'),
        text: z.string({ error: (i) => `a quick_reply button needs \`text\`, its label as approved; found ${show(i.input)}.` }).trim().min(1, { error: 'a quick_reply button has an empty `text`.' }),
        optout: z.boolean({ error: (i) => `button \`optout\` must be true or false; found ${show(i.input)}.` }).optional(),
      },
      { error: (i) => (i.code === 'unrecognized_keys' ? `a quick_reply button takes only \`type\`, \`text\` and \`optout\`; found \`${i.keys.join('`, `')}\`.` : undefined) },
    ),
    z.strictObject(
      {
        type: z.literal('url'),
        param: z.string({ error: (i) => `a url button's \`param\` must be a CSV column name; found ${show(i.input)}.` }).trim().min(1, { error: 'a url button has an empty `param`.' }).optional(),
        text: z.string({ error: (i) => `button \`text\` must be text; found ${show(i.input)}.` }).trim().min(1).optional(),
      },
      { error: (i) => (i.code === 'unrecognized_keys' ? `a url button takes only \`type\`, \`param\` and \`text\`; found \`${i.keys.join('`, `')}\`.` : undefined) },
    ),
  ],
  { error: (i) => `every \`buttons\` entry must have \`type: quick_reply\` or \`type: url\`; found ${show(i.input)}.` },
);

const linkSchema = z.object(
  {
    url: z
      .string({ error: (i) => `every link needs a \`url\`; found ${show(i.input)}.` })
      .trim()
      .refine(isHttpUrl, { error: (i) => `link \`url\` must be a full address starting with https://; found ${show(i.input)}.` }),
    kind: z.enum(LINK_KINDS as [string, ...string[]], {
      error: (i) => `link \`kind\` must be one of ${LINK_KINDS.join(', ')}; found ${show(i.input)}.`,
    }),
  },
  { error: (i) => `every \`links\` entry must be a map with \`url\` and \`kind\`; found ${show(i.input)}.` },
);

const metaSchema = z.object({
  template: z
    .string({ error: (i) => (i.input === undefined ? '`template` is missing.' : `\`template\` must be text; found ${show(i.input)}.`) })
    .regex(/^[a-z0-9_]+$/, { error: (i) => `\`template\` must be the approved template's name (lowercase letters, digits, _); found ${show(i.input)}.` }),
  language: z
    .string({ error: (i) => (i.input === undefined ? '`language` is missing.' : `\`language\` must be text; found ${show(i.input)}.`) })
    .regex(/^[a-z]{2,3}(_[A-Z]{2}|_[A-Z][a-z]{3})?$/, {
      error: (i) => `\`language\` must be a provider language code like es, es_ES, pt_BR or en_US; found ${show(i.input)}.`,
    }),
  category: z.enum(CATEGORIES, {
    error: (i) =>
      i.input === undefined ? '`category` is missing.' : `\`category\` must be one of ${CATEGORIES.join(', ')}; found ${show(i.input)}.`,
  }),
  params: columnList('params').default([]),
  links: z.array(linkSchema, { error: (i) => `\`links\` must be a list of {url, kind}; found ${show(i.input)}.` }).default([]),
  content_sid: z.string({ error: (i) => `\`content_sid\` must be text; found ${show(i.input)}.` }).optional(),
  button_params: columnList('button_params').optional(),
  header: headerSchema.optional(),
  footer: z
    .string({ error: (i) => `\`footer\` must be text; found ${show(i.input)}.` })
    .trim()
    .min(1, { error: '`footer` is empty.' })
    .refine((f) => !/\{\{|\}\}/.test(f), { error: '`footer` has a placeholder; an approved footer is fixed text.' })
    .optional(),
  buttons: z.array(buttonSchema, { error: (i) => `\`buttons\` must be a list of buttons; found ${show(i.input)}.` }).optional(),
  purpose: z.enum(['electoral'], { error: (i) => `\`purpose\` can only be \`electoral\`; found ${show(i.input)}.` }).optional(),
  sender: z.string({ error: (i) => `\`sender\` must be the name your messages are signed with; found ${show(i.input)}.` }).trim().min(1, { error: '`sender` is empty.' }).optional(),
});

const HINTS: Record<string, string> = {
  template: 'Set `template:` to the name of the template approved at your provider.',
  language: 'Set `language:` to the approved template\'s language code, e.g. `es` or `pt_BR`.',
  category: 'Set `category:` to marketing, utility or authentication.',
  params: 'List the CSV columns for the template\'s body parameters, e.g. `params: [first_name, city]`.',
  links: 'Declare each link as `- url: https://...` with `kind: video|pdf|page|form|image|audio`.',
  button_params: 'List the CSV columns for URL-button suffixes, e.g. `button_params: [code]`.',
  content_sid: 'Set `content_sid:` to the Twilio Content SID (HX...).',
  header: 'Write the header as approved, e.g. `header: {kind: video, url: https://partido.es/acto.mp4}` or `{kind: text, text: "Acto en {{ciudad}}"}`.',
  footer: 'Set `footer:` to the approved footer text, e.g. "Responde BAJA para no recibir más mensajes".',
  buttons: 'List the approved buttons in order, e.g. `- {type: quick_reply, text: No me interesa, optout: true}` or `- {type: url, param: ref}`.',
  purpose: 'Write `purpose: electoral` for electoral propaganda, or remove the key.',
  sender: 'Set `sender:` to the organisation name your messages are signed with.',
};

function lineOfPath(doc: Document, counter: LineCounter, path: PropertyKey[], firstLine: number): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return firstLine + counter.linePos(node.range[0]).line - 1;
  }
  return firstLine;
}

function splitFrontMatter(lines: string[]): { start: number; end: number } | null {
  if (lines[0]?.trimEnd() !== '---') return null;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i].trimEnd();
    if (l === '---' || l === '...') return { start: 1, end: i };
  }
  return { start: 1, end: -1 };
}

function parseMeta(source: string, path: string, firstLine: number): TemplateMeta {
  const counter = new LineCounter();
  const doc = parseDocument(source, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const line = firstLine + counter.linePos(err.pos[0]).line - 1;
    const what = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new InputError(`The front matter is not valid YAML: ${what}.`, {
      file: path,
      line,
      hint: 'Write one `key: value` per line, indent list items under their key, and quote values containing `: ` or `#`.',
    });
  }
  let raw: unknown;
  try {
    // yaml refuses a document whose aliases expand past this (a "billion laughs" bomb).
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    throw new InputError('The front matter uses too many YAML aliases (`*name`), more than a template ever needs.', {
      file: path,
      line: firstLine,
      hint: 'Write the values out instead of repeating them through `&anchor` / `*alias`.',
      cause,
    });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError('The front matter must be a map of `key: value` lines.', {
      file: path,
      line: firstLine - 1,
      hint: 'Put `template:`, `language:` and `category:` lines between the two `---` lines, or remove the `---` lines for a plain text message.',
    });
  }
  const result = metaSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue.path[0] ?? '');
    throw new InputError(issue.message, {
      file: path,
      line: lineOfPath(doc, counter, issue.path, firstLine),
      hint: HINTS[key] ?? 'Fix the front matter value.',
    });
  }
  const data = result.data;
  const lineOf = (p: PropertyKey[]) => lineOfPath(doc, counter, p, firstLine);
  // The line of the `header:` key itself (its value's node starts on the line below).
  const headerPair = isMap(doc.contents) ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'header') : undefined;
  const headerKey = isScalar(headerPair?.key) ? headerPair.key.range : undefined;
  const headerLine = headerKey ? firstLine + counter.linePos(headerKey[0]).line - 1 : lineOf(['header']);
  const urlParams = data.buttons?.flatMap((b) => (b.type === 'url' && b.param !== undefined ? [b.param] : []));
  if (data.button_params !== undefined && urlParams !== undefined && urlParams.length > 0 && urlParams.join('\u0000') !== data.button_params.join('\u0000')) {
    throw new InputError(`\`button_params\` [${data.button_params.join(', ')}] and the url buttons' \`param\` [${urlParams.join(', ')}] disagree.`, {
      file: path,
      line: lineOf(['button_params']),
      hint: 'Remove `button_params:` (the old spelling) and keep `param:` on each url button.',
    });
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(k)) extra[k] = v;
  }
  const meta: TemplateMeta = {
    template: data.template,
    language: data.language,
    category: data.category,
    params: data.params,
    links: data.links as DeclaredLink[],
    extra,
  };
  if (data.content_sid !== undefined) meta.content_sid = data.content_sid;
  if (data.button_params !== undefined) meta.button_params = data.button_params;
  // `param:` on url buttons is the new spelling of button_params: the sending code reads button_params.
  else if (urlParams !== undefined && urlParams.length > 0) meta.button_params = urlParams;
  // Placeholders outside the body are columns too: their braces are checked like the body's.
  if (data.header?.text !== undefined) extractPlaceholders(data.header.text, path, lineOf(['header', 'text']), 'The header `text`');
  if (data.header?.url !== undefined) extractPlaceholders(data.header.url, path, lineOf(['header', 'url']), 'The header `url`');
  data.links.forEach((l, i) => extractPlaceholders(l.url, path, lineOf(['links', i, 'url']), `The link ${l.url}`));
  if (data.header !== undefined) meta.header = headerOf(data.header as Omit<TemplateHeader, 'line'>, path, headerLine, lineOf(['header', 'file']));
  if (data.footer !== undefined) meta.footer = data.footer;
  if (data.buttons !== undefined) meta.buttons = data.buttons as TemplateButton[];
  if (data.purpose !== undefined) meta.purpose = data.purpose;
  if (data.sender !== undefined) meta.sender = data.sender;
  return meta;
}

/** The header with its `file` resolved against the template's folder; a file that is not there is said now, not at send time. */
function headerOf(h: Omit<TemplateHeader, 'line'>, templatePath: string, line: number, fileLine: number): TemplateHeader {
  const header: TemplateHeader = { ...h, line };
  if (h.file === undefined) return header;
  const file = nodePath.resolve(nodePath.dirname(templatePath), h.file);
  let problem: string | null = null;
  if (!existsSync(file)) problem = 'is not there';
  else if (!statSync(file).isFile()) problem = 'is not a file';
  if (problem) {
    throw new InputError(`The header file ${h.file} ${problem} (looked for ${file}).`, {
      file: templatePath,
      line: fileLine,
      hint: 'Give `file:` relative to the template\'s folder, e.g. `media/cartel.jpg`, or use `url:` for a public https link.',
    });
  }
  header.file = file;
  return header;
}

/** Distinct `{{name}}`s of a text; `bodyLine` is the line the text starts on, for the errors. */
function extractPlaceholders(body: string, path: string, bodyLine: number, what = 'The body'): string[] {
  const names: string[] = [];
  const lineAt = (index: number) => bodyLine + (body.slice(0, index).match(/\n/g)?.length ?? 0);
  for (const m of body.matchAll(PLACEHOLDER)) {
    const name = m[1].trim();
    if (name === '') {
      throw new InputError(`${what} has an empty placeholder \`{{}}\`.`, {
        file: path,
        line: lineAt(m.index),
        hint: 'Put a CSV column name inside it, e.g. `{{first_name}}`, or remove it.',
      });
    }
    if (!names.includes(name)) names.push(name);
  }
  const leftover = body.replace(PLACEHOLDER, '').search(/\{\{|\}\}/);
  if (leftover >= 0) {
    const index = body.search(/\{\{(?![^{}]*\}\})|(?<!\{\{[^{}]*)\}\}/);
    throw new InputError(`${what} has an unclosed placeholder brace.`, {
      file: path,
      line: lineAt(index >= 0 ? index : 0),
      hint: 'Write placeholders as `{{column}}` with two braces on each side.',
    });
  }
  return names;
}

/** Parses a template file's text. `path` is only used in messages and in the result. */
export function parseTemplate(text: string, path: string, sha256?: string): Template {
  const hash = sha256 ?? createHash('sha256').update(text, 'utf8').digest('hex');
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const fm = splitFrontMatter(lines);
  let meta: TemplateMeta | null = null;
  let bodyStart = 0;
  if (fm) {
    if (fm.end < 0) {
      throw new InputError('The front matter opened by `---` on line 1 is never closed.', {
        file: path,
        line: 1,
        hint: 'Add a line with just `---` after the last front matter key, before the message text.',
      });
    }
    meta = parseMeta(lines.slice(fm.start, fm.end).join('\n'), path, fm.start + 1);
    bodyStart = fm.end + 1;
  }
  let first = bodyStart;
  let last = lines.length - 1;
  while (first <= last && lines[first].trim() === '') first++;
  while (last >= first && lines[last].trim() === '') last--;
  if (first > last) {
    throw new InputError('The template has no message text.', {
      file: path,
      line: Math.min(bodyStart + 1, lines.length),
      hint: fm ? 'Write the message after the closing `---` line.' : 'Write the message text in the file.',
    });
  }
  const body = lines.slice(first, last + 1).join('\n').trimEnd();
  const bodyLine = first + 1;
  return { path, meta, body, placeholders: extractPlaceholders(body, path, bodyLine), bodyLine, sha256: hash };
}

/** A template is a message of at most 1,024 characters and a few keys: anything this big is not one. */
const MAX_TEMPLATE_BYTES = 256 * 1024;

/** Reads and parses a template file; every failure is an InputError naming the file. */
export async function readTemplate(path: string): Promise<Template> {
  let bytes: Buffer;
  try {
    const st = await stat(path);
    if (st.isFile() && st.size > MAX_TEMPLATE_BYTES) {
      throw new InputError(`The template file is ${Math.round(st.size / 1024)} KiB; a template is a short message and its front matter, at most ${MAX_TEMPLATE_BYTES / 1024} KiB.`, {
        file: path,
        hint: 'Check that --template (or `template:` in campaign.yaml) names the message file, not a list or a media file.',
      });
    }
    bytes = await readFile(path);
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT' ? 'Template file not found.' : code === 'EISDIR' ? 'The template path is a directory, not a file.' : `Cannot read the template file (${code ?? 'unknown error'}).`;
    throw new InputError(message, { file: path, hint: 'Check the path given to --template (or `template:` in campaign.yaml).', cause });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new InputError('The template file is not valid UTF-8.', { file: path, line: 1, hint: 'Save the file as UTF-8 in your editor.', cause });
  }
  return parseTemplate(text, path, createHash('sha256').update(bytes).digest('hex'));
}
