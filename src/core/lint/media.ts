import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Finding, RuleInfo } from '../findings.js';
import type { HeaderKind, Template, TemplateHeader } from '../template/types.js';
import { analyseUrl, isVideoTarget } from './link-hosts.js';
import { PROMISE_TEXT, staticUrlFindings, unlinkedPromises, type Promised } from './link-rules.js';

export const MEDIA_RULES: RuleInfo[] = [
  { id: 'header-kind-mismatch', severity: 'error', summary: 'A media header is not the declared kind: the file\'s bytes (or the URL\'s file type) say image, video or PDF otherwise.', fix: 'Set `kind` to what the file is, or point the header at a file of that kind.' },
  { id: 'header-media-type', severity: 'error', summary: 'A media header\'s type is not one the Cloud API accepts for its kind (image: JPEG/PNG; video: MP4/3GPP; document: PDF).', fix: 'Convert the file (e.g. to MP4 H.264 or JPEG) or use another one.' },
  { id: 'header-too-large', severity: 'error', summary: 'A header file is over the Cloud API\'s limit for its kind (image 5 MB, video 16 MB, document 100 MB).', fix: 'Compress or shorten the media until it fits.' },
  { id: 'header-url-unverified', severity: 'info', summary: 'A header URL has no file extension, so its type cannot be told offline.', fix: 'Run lint with --check-links, or link to the file itself (…/acto.mp4).' },
];

/** A media type as the bytes or the extension tell it. */
interface MediaType {
  mime: string;
  kind: HeaderKind | 'audio' | 'other';
  name: string;
}

const T = {
  jpeg: { mime: 'image/jpeg', kind: 'image', name: 'a JPEG image' },
  png: { mime: 'image/png', kind: 'image', name: 'a PNG image' },
  gif: { mime: 'image/gif', kind: 'image', name: 'a GIF image' },
  webp: { mime: 'image/webp', kind: 'image', name: 'a WebP image' },
  heic: { mime: 'image/heic', kind: 'image', name: 'a HEIC image' },
  mp4: { mime: 'video/mp4', kind: 'video', name: 'an MP4 video' },
  gpp: { mime: 'video/3gpp', kind: 'video', name: 'a 3GPP video' },
  mov: { mime: 'video/quicktime', kind: 'video', name: 'a QuickTime (.mov) video' },
  webm: { mime: 'video/webm', kind: 'video', name: 'a WebM/Matroska video' },
  m4a: { mime: 'audio/mp4', kind: 'audio', name: 'an MP4 audio file' },
  mp3: { mime: 'audio/mpeg', kind: 'audio', name: 'an MP3 audio file' },
  pdf: { mime: 'application/pdf', kind: 'document', name: 'a PDF document' },
  zip: { mime: 'application/zip', kind: 'document', name: 'a ZIP-based file (Word, Excel, ...)' },
} satisfies Record<string, MediaType>;

/** Cloud API template headers (docs/providers.md §1.11, §1.2). Limits in MiB, as Meta's "MB". */
const CLOUD_LIMITS: Record<Exclude<HeaderKind, 'text'>, { types: string[]; maxMB: number; names: string }> = {
  image: { types: ['image/jpeg', 'image/png'], maxMB: 5, names: 'JPEG or PNG' },
  video: { types: ['video/mp4', 'video/3gpp'], maxMB: 16, names: 'MP4 or 3GPP (H.264 video, AAC audio)' },
  document: { types: ['application/pdf'], maxMB: 100, names: 'PDF' },
};

const ascii = (b: Buffer, from: number, to: number) => b.subarray(from, to).toString('latin1');

/** The type the first bytes of a file say (magic numbers), or null when they say nothing known. */
export function sniffMedia(b: Buffer): MediaType | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return T.jpeg;
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return T.png;
  if (ascii(b, 0, 5) === '%PDF-') return T.pdf;
  if (ascii(b, 0, 4) === 'GIF8') return T.gif;
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return T.webp;
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return T.webm;
  if (ascii(b, 0, 4) === 'PK\u0003\u0004') return T.zip;
  if (ascii(b, 0, 3) === 'ID3' || (b.length >= 2 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0)) return T.mp3;
  // ISO base media (MP4, 3GPP, QuickTime, HEIC): a `ftyp` box at offset 4 whose major brand says which.
  if (ascii(b, 4, 8) === 'ftyp' && b.length >= 12) {
    const brand = ascii(b, 8, 12);
    if (/^3g/.test(brand)) return T.gpp;
    if (brand === 'qt  ') return T.mov;
    if (/^M4A|^M4B/.test(brand)) return T.m4a;
    if (/^(heic|heix|mif1|msf1|avif)$/.test(brand)) return T.heic;
    return T.mp4;
  }
  return null;
}

const BY_EXTENSION: Record<string, MediaType> = {
  jpg: T.jpeg, jpeg: T.jpeg, png: T.png, gif: T.gif, webp: T.webp, heic: T.heic,
  mp4: T.mp4, m4v: T.mp4, '3gp': T.gpp, '3gpp': T.gpp, mov: T.mov, webm: T.webm, mkv: T.webm,
  m4a: T.m4a, mp3: T.mp3, pdf: T.pdf, doc: T.zip, docx: T.zip, xlsx: T.zip, pptx: T.zip, zip: T.zip,
};

function readHead(file: string): { head: Buffer; size: number } {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(Math.min(64, size));
    readSync(fd, head, 0, head.length, 0);
    return { head, size };
  } finally {
    closeSync(fd);
  }
}

const KIND_NAME: Record<Exclude<HeaderKind, 'text'>, string> = { image: 'an image', video: 'a video', document: 'a PDF document' };

/** What a header of each kind fulfils among the text's promises ("descarga el programa" wants a document). */
const FULFILS: Record<Promised, HeaderKind[] | null> = { video: ['video'], pdf: ['document'], download: ['document'], form: null, donation: null };

/** Offline checks of the front matter's media header: kind, type, size, its URL's safety, and what the body says of it. */
export function lintHeader(t: Template): Finding[] {
  const h = t.meta?.header;
  if (!h || h.kind === 'text') return [];
  const kind = h.kind;
  const at = `${t.path} line ${h.line ?? 1}`;
  const out: Finding[] = [];
  const push = (rule: string, message: string, value: string, severity: Finding['severity'] = 'error') => out.push({ rule, severity, message: `${at}: ${message}`, value });
  const limit = CLOUD_LIMITS[kind];
  const judge = (type: MediaType, what: string, value: string) => {
    if (type.kind !== kind) push('header-kind-mismatch', `the header is declared \`${kind}\` but ${what} is ${type.name}. Set \`kind: ${type.kind === 'audio' || type.kind === 'other' ? '...' : type.kind}\` or use ${KIND_NAME[kind]}.`, value);
    else if (!limit.types.includes(type.mime)) push('header-media-type', `${what} is ${type.name}; the Cloud API takes only ${limit.names} for a ${kind} header. Convert it.`, value);
  };

  if (h.file) {
    const name = path.basename(h.file);
    const { head, size } = readHead(h.file);
    const type = sniffMedia(head);
    if (!type) push('header-media-type', `the bytes of ${name} are not a media type the tool knows (it looks at the content, not the name); the Cloud API takes ${limit.names} for a ${kind} header.`, h.file);
    else judge(type, `${name} (by its content)`, h.file);
    if (size > limit.maxMB * 1024 * 1024) {
      push('header-too-large', `${name} is ${(size / 1024 / 1024).toFixed(1)} MB; the Cloud API's limit for a ${kind} header is ${limit.maxMB} MB. Make it smaller.`, h.file);
    }
  } else if (h.url) {
    lintHeaderUrl({ ...h, url: h.url }, kind, at, out, judge, push);
  }

  for (const p of unlinkedPromises(t.body)) {
    const wants = FULFILS[p.promise];
    if (wants && !wants.includes(kind)) {
      push('link-text-mismatch', `"${p.found}" promises ${PROMISE_TEXT[p.promise]}, but the message's header is ${KIND_NAME[kind]}. Make the text and the header agree.`, p.found);
    }
  }
  return out;
}

function lintHeaderUrl(
  h: TemplateHeader & { url: string },
  kind: Exclude<HeaderKind, 'text'>,
  at: string,
  out: Finding[],
  judge: (type: MediaType, what: string, value: string) => void,
  push: (rule: string, message: string, value: string, severity?: Finding['severity']) => void,
): void {
  // A URL whose host comes from a column is only known per message (checked row by row).
  if (/^\{\{/.test(h.url)) return;
  const target = analyseUrl(h.url);
  out.push(...staticUrlFindings(h.url, target, `${at} (header url)`));
  const rawPath = h.url.split(/[?#]/)[0];
  const last = rawPath.slice(rawPath.lastIndexOf('/') + 1);
  // A file name from a column (…/{{video}}.mp4 is fine, …/{{video}} is per message).
  if (/\{\{[^{}]*\}\}$/.test(last)) return;
  const ext = rawPath.includes('://') && last !== rawPath ? /\.([a-z0-9]+)$/i.exec(last)?.[1]?.toLowerCase() : undefined;
  const type = ext ? BY_EXTENSION[ext] : undefined;
  if (type) judge(type, `${h.url} (by its extension)`, h.url);
  else if (isVideoTarget(target)) {
    push('header-kind-mismatch', `${h.url} is a page on ${target.domain}, not a media file; the provider downloads the header itself and needs the ${CLOUD_LIMITS[kind].names} file. Link to the file.`, h.url);
  } else {
    push('header-url-unverified', `${h.url} does not end in a file extension, so its type cannot be checked offline. Run lint with --check-links, or link to the file itself.`, h.url, 'info');
  }
}
