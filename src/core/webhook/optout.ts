import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readOptOutList } from '../contacts/optouts.js';
import { appendWholeLines, withFileQueue } from '../history/append.js';
import { OPT_OUT_CODES } from '../providers/index.js';
import { syncFile } from './journals.js';

/**
 * Opt-out detection. A reply is an opt-out only when the WHOLE message (after dropping case,
 * accents, punctuation, emoji and a polite "por favor"/"please"/"gracias"/"obrigado") is one of
 * the phrases below, so "no paro de pensar en el acto" or "stop by the rally" never fire.
 *
 * Spanish:    baja, de baja, dar de baja, darme de baja, me doy de baja, quiero darme de baja,
 *             parar, para, alto, basta, detener, cancelar, cancelar suscripcion, desuscribir(me),
 *             anular suscripcion, no mas, no mas mensajes, no quiero, no quiero mas,
 *             no me escribas/escriban, no molestar, borrarme, eliminarme, salir
 * Portuguese: sair, parar, pare, cancelar, nao quero, nao quero mais, remover, remova,
 *             descadastrar, nao mais, nao enviar, nao envie mais
 * English:    stop, stop all, stopall, unsubscribe, cancel, end, quit, opt out, optout, revoke,
 *             remove, remove me, stop messages, stop sending
 * Stop-promotions buttons (text or typed): stop promotions, stop promos, detener promociones,
 *             parar promociones, parar promocoes, stop promociones, cancelar promociones
 * Button payloads: any payload starting STOP_PROMO / STOP-PROMO / OPT_OUT / OPTOUT / UNSUBSCRIBE,
 *             or a payload that is itself one of the phrases above.
 * Provider codes: 131050 (Meta: user stopped marketing), 21610 (Twilio: unsubscribed recipient),
 *             63014 (Twilio: blocked by user action).
 */
const PHRASES = [
  // es
  'baja', 'de baja', 'dar de baja', 'darme de baja', 'darse de baja', 'me doy de baja', 'quiero darme de baja',
  'quiero la baja', 'parar', 'para', 'alto', 'basta', 'detener', 'cancelar', 'cancelar suscripcion',
  'desuscribir', 'desuscribirme', 'desuscribirse', 'anular suscripcion', 'no mas', 'no mas mensajes',
  'no quiero', 'no quiero mas', 'no quiero mas mensajes', 'no me escribas', 'no me escriban', 'no molestar',
  'borrarme', 'eliminarme', 'salir',
  // pt
  'sair', 'pare', 'nao quero', 'nao quero mais', 'remover', 'remova', 'descadastrar', 'descadastre',
  'nao mais', 'nao enviar', 'nao envie mais', 'cancelar inscricao',
  // en
  'stop', 'stop all', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'opt out', 'optout', 'revoke',
  'remove', 'remove me', 'stop messages', 'stop sending',
  // stop-promotions buttons
  'stop promotions', 'stop promotion', 'stop promos', 'stop promo', 'detener promociones', 'parar promociones',
  'parar promocoes', 'stop promociones', 'cancelar promociones',
];
const PHRASE_SET = new Set(PHRASES);

const POLITE = ['por favor', 'porfavor', 'porfa', 'please', 'pls', 'plz', 'gracias', 'obrigado', 'obrigada', 'thanks', 'thank you', 'ya', 'ja'];


/** Lower case, no accents, punctuation and emoji turned into spaces, single spaces, trimmed. */
export function normaliseReply(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function isOptOutText(text: string | undefined | null): boolean {
  if (!text) return false;
  let t = normaliseReply(text);
  if (t.length === 0 || t.length > 60) return false;
  // Drop polite words around the keyword ("baja por favor", "please stop", "STOP STOP").
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of POLITE) {
      if (t.startsWith(p + ' ')) { t = t.slice(p.length + 1); changed = true; }
      if (t.endsWith(' ' + p)) { t = t.slice(0, -p.length - 1); changed = true; }
    }
  }
  if (PHRASE_SET.has(t)) return true;
  const words = t.split(' ');
  return words.length > 1 && words.every((w) => w === words[0]) && PHRASE_SET.has(words[0]);
}

/** A quick-reply / interactive button tap: by payload (STOP_PROMO…) or by its visible text. */
export function isOptOutButton(payload: string | undefined, text?: string): boolean {
  if (payload) {
    if (/^\s*(stop[\s_-]*promo|opt[\s_-]*out|unsubscribe)/i.test(payload)) return true;
    if (isOptOutText(payload.replace(/_/g, ' '))) return true;
  }
  return isOptOutText(text);
}

export function isOptOutCode(code: string | number | undefined): boolean {
  return code !== undefined && OPT_OUT_CODES.has(String(code).trim());
}

/**
 * Adds `e164` to each opt-out list (optOutFiles: the folder's `.campaign/optouts.txt`, then the
 * user-level one), creating the directories, unless it is already listed there (read by the one
 * opt-out parser, so a hand-written "+34 600 11 22 33" counts). True when added to the first.
 */
export async function appendOptOut(files: string[], e164: string): Promise<boolean> {
  const number = `+${e164.replace(/[^\d]/g, '')}`;
  if (number.length < 7) return false;
  let addedToFirst = false;
  for (const [i, path] of files.entries()) {
    const added = await withFileQueue(`optouts:${path}`, async () => {
      await mkdir(dirname(path), { recursive: true });
      if ((await readOptOutList(path, { missing: 'empty' })).numbers.has(number)) return false;
      await appendWholeLines(path, [number]);
      // The webhook answers 200 after this: the provider will not tell us again.
      await syncFile(path);
      return true;
    });
    if (i === 0) addedToFirst = added;
  }
  return addedToFirst;
}
