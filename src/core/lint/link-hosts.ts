import { parseHost } from './tld.js';
import type { LinkKind } from '../template/types.js';

export interface LinkTarget {
  url: URL | null;
  /** Host as written (may contain Unicode or `xn--`), lowercased. */
  rawHost: string;
  hostname: string;
  /** Registrable domain (`partido.es`), or the hostname for IP addresses. */
  domain: string;
  isIp: boolean;
  /** Lowercased path without query, placeholders kept as `x`. */
  path: string;
}

export function analyseUrl(href: string): LinkTarget {
  const probe = href.replace(/\{\{[^{}]*\}\}/g, 'x');
  const rawHost = (/^[a-z]+:\/\/(?:[^/?#@]*@)?(\[[^\]]*\]|[^/?#:]*)/i.exec(probe)?.[1] ?? '').toLowerCase();
  let url: URL | null = null;
  try {
    url = new URL(probe);
  } catch {
    url = null;
  }
  const hostname = (url?.hostname ?? rawHost).toLowerCase().replace(/\.$/, '');
  const p = parseHost(hostname);
  return {
    url,
    rawHost,
    hostname,
    domain: p.domain ?? hostname,
    isIp: Boolean(p.isIp) || hostname.startsWith('['),
    path: decodeSafe(url?.pathname ?? '').toLowerCase(),
  };
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const onHost = (t: LinkTarget, hosts: readonly string[]) => hosts.some((h) => t.hostname === h || t.hostname.endsWith(`.${h}`));

export const VIDEO_HOSTS = ['youtube.com', 'youtu.be', 'youtube-nocookie.com', 'vimeo.com', 'tiktok.com', 'twitch.tv', 'dailymotion.com', 'dai.ly', 'fb.watch', 'rumble.com'];
const VIDEO_PATHS: [string, RegExp][] = [
  ['facebook.com', /\/(videos|watch|reel)(\/|$)/],
  ['instagram.com', /^\/(reel|reels|tv)\//],
];
const VIDEO_EXT = /\.(mp4|webm|mov|m4v|m3u8|ogv)$/;
const IMAGE_EXT = /\.(jpe?g|png|gif|webp|avif|heic)$/;
const AUDIO_EXT = /\.(mp3|m4a|ogg|oga|opus|wav|aac|flac)$/;
const AUDIO_HOSTS = ['soundcloud.com', 'podcasts.apple.com', 'ivoox.com', 'anchor.fm'];
const FORM_HOSTS = ['forms.gle', 'typeform.com', 'jotform.com', 'forms.office.com', 'forms.microsoft.com', 'tally.so', 'surveymonkey.com', 'cognitoforms.com', 'formstack.com', 'wufoo.com', 'forms.zohopublic.com'];
const FORM_PATH = /form|formulario|inscripci|inscricao|inscribete|registro|signup|sign-up|register|cadastro|encuesta|survey/;
// Google Drive file pages are how many Latin American organisations share a PDF; Drive shows it inline.
const DRIVE_FILE = /^\/file\/d\//;

export function isVideoTarget(t: LinkTarget): boolean {
  return onHost(t, VIDEO_HOSTS) || VIDEO_PATHS.some(([h, re]) => onHost(t, [h]) && re.test(t.path)) || VIDEO_EXT.test(t.path);
}
export function isPdfTarget(t: LinkTarget): boolean {
  return t.path.endsWith('.pdf') || (t.hostname === 'drive.google.com' && DRIVE_FILE.test(t.path));
}
export function isImageTarget(t: LinkTarget): boolean {
  return IMAGE_EXT.test(t.path);
}
export function isAudioTarget(t: LinkTarget): boolean {
  return AUDIO_EXT.test(t.path) || onHost(t, AUDIO_HOSTS) || (t.hostname === 'open.spotify.com' && /^\/(episode|track|show)\//.test(t.path));
}
export function isFormsHost(t: LinkTarget): boolean {
  return onHost(t, FORM_HOSTS) || (t.hostname === 'docs.google.com' && t.path.startsWith('/forms')) || /(^|\.)jotform\./.test(t.hostname);
}
export function isFormTarget(t: LinkTarget, ownDomains: ReadonlySet<string>): boolean {
  return isFormsHost(t) || FORM_PATH.test(t.path) || ownDomains.has(t.domain);
}

/** What the URL itself says it leads to, from host and file extension; `page` when it says nothing. */
export function inferKind(t: LinkTarget): LinkKind {
  if (isVideoTarget(t)) return 'video';
  if (isPdfTarget(t)) return 'pdf';
  if (isImageTarget(t)) return 'image';
  if (isAudioTarget(t)) return 'audio';
  if (isFormsHost(t)) return 'form';
  return 'page';
}

/** Hosts whose pages are other people's platforms, so a link there does not make the domain the sender's. */
export function isThirdPartyHost(t: LinkTarget): boolean {
  return isVideoTarget(t) || isAudioTarget(t) || isFormsHost(t) || brandOf(t.domain) !== null || t.isIp;
}

const DONATION_WORDS = [
  'dona', 'donar', 'donat', 'donac', 'donate', 'donation', 'doacao', 'doacoes', 'doar', 'doe', 'aport', 'colabor', 'contribu',
  'support', 'apoya', 'paypal', 'checkout', 'pago', 'pay', 'mercadopago', 'bizum', 'teaming', 'gofundme', 'goteo', 'vaki',
  'kickstarter', 'patreon', 'kofi', 'ko', 'buymeacoffee', 'crowdfund', 'socio', 'afilia', 'member', 'join', 'hazte', 'stripe',
];

export function isDonationTarget(t: LinkTarget): boolean {
  const words = `${t.hostname} ${t.path}`.normalize('NFD').replace(/\p{M}/gu, '').split(/[^a-z0-9]+/).filter(Boolean);
  return words.some((w) => DONATION_WORDS.some((d) => w === d || (d.length >= 4 && w.startsWith(d))));
}

/** Brands worth impersonating, with the registrable domains they own. */
export const BRANDS: Record<string, string[]> = {
  youtube: ['youtube.com', 'youtu.be', 'youtube-nocookie.com', 'ytimg.com', 'googlevideo.com'],
  whatsapp: ['whatsapp.com', 'whatsapp.net', 'wa.me'],
  facebook: ['facebook.com', 'fb.com', 'fb.me', 'fb.watch', 'facebook.net', 'fbcdn.net'],
  instagram: ['instagram.com', 'instagr.am', 'cdninstagram.com'],
  google: ['google.com', 'goo.gl', 'forms.gle', 'g.co', 'googleusercontent.com', 'googleapis.com', 'gstatic.com', 'youtube.com', 'youtu.be'],
  paypal: ['paypal.com', 'paypal.me', 'paypalobjects.com'],
};
const GOV_SUFFIXES = ['gob.es', 'gob.mx', 'gob.ar', 'gob.cl', 'gob.pe', 'gob.ec', 'gob.bo', 'gob.ve', 'gob.gt', 'gob.hn', 'gob.sv', 'gob.do', 'gob.pa', 'gob.ni', 'gov.co', 'gov.br', 'gov.py', 'gub.uy', 'go.cr'];

function officialBrand(domain: string): string | null {
  for (const [brand, domains] of Object.entries(BRANDS)) if (domains.includes(domain)) return brand;
  const p = parseHost(domain);
  const suffix = p.publicSuffix ?? '';
  // Brands own their country domains (google.es, google.com.mx); a brand name on .xyz or .support is not theirs.
  if (p.domainWithoutSuffix && p.domainWithoutSuffix in BRANDS && /^(com|[a-z]{2}|com\.[a-z]{2}|co\.[a-z]{2})$/.test(suffix)) return p.domainWithoutSuffix;
  return null;
}

/** The brand owning a registrable domain, or null. */
export function brandOf(domain: string): string | null {
  return officialBrand(domain);
}

/** Same owner: equal registrable domains, or both owned by one brand (youtu.be ~ youtube.com). */
export function sameOwner(a: string, b: string): boolean {
  if (a === b) return true;
  const brand = officialBrand(a);
  return brand !== null && brand === officialBrand(b);
}

function skeleton(s: string): string {
  return s
    .replace(/0/g, 'o').replace(/1/g, 'l').replace(/3/g, 'e').replace(/4/g, 'a').replace(/5/g, 's')
    .replace(/rn/g, 'm').replace(/vv/g, 'w').replace(/[^a-z]/g, '').replace(/(.)\1+/g, '$1');
}

function withinOneEdit(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length] <= 1;
}

const CYRILLIC_OR_GREEK = /[\u0370-\u03FF\u0400-\u04FF]/;
const LATIN = /[a-z\u00C0-\u024F]/;
const LOOKS_LATIN = /^[аеорсухіјѕԁӏһԛԝαεικνορτυχω0-9-]+$/;

/** Why a host imitates another one, or null. */
export function lookalikeReason(t: LinkTarget): string | null {
  if (t.isIp) return null;
  for (const label of t.rawHost.split('.')) {
    if (label.startsWith('xn--')) return `its host label "${label}" is punycode, which can hide look-alike letters`;
    if (CYRILLIC_OR_GREEK.test(label) && LATIN.test(label)) return `its host label "${label}" mixes Latin with Cyrillic or Greek letters`;
    if (CYRILLIC_OR_GREEK.test(label) && LOOKS_LATIN.test(label)) return `its host label "${label}" is written in Cyrillic or Greek letters that look Latin`;
  }
  const p = parseHost(t.hostname);
  for (const gov of GOV_SUFFIXES) {
    const [a, b] = gov.split('.');
    if (p.publicSuffix !== gov && new RegExp(`(^|[.-])${a}[.-]${b}([.-]|$)`).test(t.hostname)) return `it imitates a ${gov} government address`;
  }
  if (!p.domain || officialBrand(p.domain)) return null;
  const names = [p.domainWithoutSuffix ?? '', ...(p.subdomain ?? '').split('.')].filter(Boolean).map(skeleton);
  for (const brand of Object.keys(BRANDS)) {
    const b = skeleton(brand);
    if (names.some((n) => n.includes(b)) || withinOneEdit(skeleton(p.domainWithoutSuffix ?? ''), b)) {
      return `it imitates ${brand} but is not one of ${brand}'s domains`;
    }
  }
  return null;
}
