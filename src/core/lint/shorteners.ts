/**
 * Generic URL shorteners: the shown host says nothing about the destination, and WhatsApp's spam
 * systems treat them accordingly. Matched against the link's host and its parent domains.
 *
 * Not listed on purpose: youtu.be, wa.me, fb.watch, forms.gle (owned by the platform they lead to,
 * so the destination is known); short.io (the service's own website; its links use short.gy or
 * custom domains); linktr.ee (a landing page, not a redirect).
 */
export const SHORTENER_HOSTS: readonly string[] = [
  'bit.ly', 'bitly.com', 'j.mp', 'tinyurl.com', 'tiny.cc', 'tiny.one', 't.co', 'goo.gl', 'ow.ly', 'is.gd', 'v.gd',
  'buff.ly', 'rebrand.ly', 'cutt.ly', 'cutt.us', 'shorturl.at', 'rb.gy', 's.id', 'bit.do', 'lnkd.in', 't.ly',
  'short.gy', 'acortar.link', 'acortaurl.com', 'bl.ink', 'soo.gd', 'clck.ru', 'x.gd', 'u.to', 'urlz.fr', 'shor.by',
  'adf.ly', 'shorte.st', 'ouo.io', 'bc.vc', 'tny.im', 'po.st', 'qr.ae', 'kutt.it', 'dub.sh', 'spoo.me', 'shrtco.de',
  'surl.li', 'shorturl.asia', 'iil.ink', 'encurtador.com.br', 'encurta.net', 'l1nk.dev', 'tr.ee', 'gg.gg', 'lc.cx',
];

const set = new Set(SHORTENER_HOSTS);

/** The shortener a host belongs to, or null. */
export function shortenerOf(hostname: string): string | null {
  const labels = hostname.toLowerCase().replace(/\.$/, '').split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    const candidate = labels.slice(i).join('.');
    if (set.has(candidate)) return candidate;
  }
  return null;
}
