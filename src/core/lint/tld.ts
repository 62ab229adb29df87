import { createRequire } from 'node:module';
import type { parse as TldtsParse } from 'tldts';

// tldts carries the whole Public Suffix List and takes ~0.15 s to load: only a template with a
// link (or a domain named in its text) pays for it, on first use.
const require = createRequire(import.meta.url);
let parse: typeof TldtsParse | undefined;

export const parseHost: typeof TldtsParse = (url, options) => {
  parse ??= (require('tldts') as { parse: typeof TldtsParse }).parse;
  return parse(url, options);
};
