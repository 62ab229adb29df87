/**
 * Maintained term lists for the content rules (banned-term, high-risk-term, impersonation).
 *
 * Matching is whole-word on folded text (see fold-text.ts): case, accents, leetspeak digits,
 * separators between letters ("p.e.d.o", "c h i l d") and doubled letters do not matter, so list
 * each term once in plain spelling, with its plural/gender forms.
 *
 * Deliberately absent, because they are everyday words or names in Spain and Latin America:
 * "pedo" (fart), "loli"/"lolita" (short for Dolores, a given name), "menores", "niñas", "desnudo"
 * alone, "cp" alone (código postal: "CP 28001", contador público). Such words only count inside a
 * phrase below or, for "cp", next to a sexual word (BANNED_NEAR).
 */

export interface NearTerm {
  /** Term that is harmless alone. */
  anchor: string;
  /** Folded whole words that make it unambiguous when within `within` words of the anchor. */
  context: string[];
  within: number;
}

/** Child sexual abuse terms, es/pt/en: one is enough for WhatsApp to ban an account. */
export const BANNED_TERMS: readonly string[] = [
  // es
  'pornografía infantil', 'porno infantil', 'porno de menores', 'pornografía de menores', 'pornografía con menores',
  'pedofilia', 'pedófilo', 'pedófila', 'pedófilos', 'pedófilas', 'pederasta', 'pederastas', 'pederastia',
  'sexo con menores', 'sexo con niños', 'sexo con niñas', 'sexo con niño', 'sexo con niña',
  'menores desnudos', 'menores desnudas', 'niñas desnudas', 'niños desnudos', 'niña desnuda', 'niño desnudo',
  'videos de menores xxx', 'packs de menores', 'pack de menores',
  // pt
  'pornografia infantil', 'pornô infantil', 'sexo com menores', 'sexo com crianças', 'sexo com criança',
  'crianças nuas', 'criança nua', 'menores nus', 'menores nuas', 'pedófilo', 'pedofilos',
  // en
  'child porn', 'child pornography', 'kiddie porn', 'kiddy porn', 'kid porn', 'underage porn', 'underage sex',
  'preteen sex', 'preteen porn', 'pre teen porn', 'child sex', 'child sexual abuse material', 'csam',
  'pedophile', 'pedophiles', 'pedophilia', 'paedophile', 'paedophiles', 'paedophilia',
  'jailbait', 'lolicon', 'shotacon', 'pthc', 'hussyfan',
];

export const BANNED_NEAR: readonly NearTerm[] = [
  {
    anchor: 'cp',
    context: [
      'porn', 'porno', 'pornografia', 'pornografico', 'xxx', 'nude', 'nudes', 'nudez', 'desnudo', 'desnuda', 'desnudos',
      'desnudas', 'sexo', 'sex', 'sexual', 'sexuales', 'menores', 'underage', 'teen', 'teens', 'kids', 'ninas', 'ninos',
    ],
    within: 3,
  },
];

/** Phrases that get messages reported as scams or political abuse; warnings, grouped by why. */
export const HIGH_RISK_TERMS: Readonly<Record<string, readonly string[]>> = {
  gambling: [
    'apuestas deportivas', 'apuesta gratis', 'casino online', 'casino en línea', 'bono de bienvenida', 'tragamonedas',
    'tragaperras', 'apostas esportivas', 'cassino online', 'online casino', 'sports betting', 'free spins', 'giros gratis',
  ],
  'crypto doubling': [
    'duplica tu dinero', 'duplica tus bitcoin', 'duplica tus bitcoins', 'dobla tu dinero', 'dobla tu inversión',
    'duplique seu dinheiro', 'double your money', 'double your bitcoin', 'inversión garantizada', 'rentabilidad garantizada',
    'ganancias garantizadas', 'retorno garantizado', 'lucro garantido', 'rendimento garantido', 'guaranteed returns', 'guaranteed profit',
  ],
  'easy money': [
    'gana dinero fácil', 'dinero fácil', 'ganar dinero fácil', 'gana dinero desde casa', 'ganar dinero desde casa',
    'dinheiro fácil', 'ganhe dinheiro fácil', 'ganhe dinheiro em casa', 'easy money', 'make money fast', 'get rich quick',
  ],
  'loan scam': [
    'préstamo sin aval', 'préstamos sin aval', 'crédito sin buró', 'préstamo inmediato', 'préstamos inmediatos',
    'préstamo sin consultar', 'crédito preaprobado', 'préstamo preaprobado', 'empréstimo sem consulta', 'empréstimo fácil',
    'crédito pré aprovado', 'no credit check', 'loan approved',
  ],
  'vote buying': [
    'te pagamos por tu voto', 'pagamos por tu voto', 'le pagamos por su voto', 'compra de votos', 'compramos tu voto',
    'compramos votos', 'vende tu voto', 'vender tu voto', 'a cambio de tu voto', 'a cambio de su voto',
    'foto de tu voto', 'foto de tu boleta', 'foto de la papeleta', 'pagamos pelo seu voto', 'venda seu voto',
    'compra de voto', 'em troca do seu voto', 'pay for your vote', 'sell your vote', 'vote buying',
  ],
};

function expand(parts: readonly (readonly string[])[]): string[] {
  return parts.reduce<string[]>((acc, options) => acc.flatMap((a) => options.map((o) => (o ? `${a} ${o}`.trim() : a))), ['']);
}

/** Claims to speak for WhatsApp or Meta, and the account threats that phishing uses. */
export const IMPERSONATION_TERMS: readonly string[] = [
  ...expand([['equipo', 'soporte', 'soporte técnico', 'servicio técnico', 'atención al cliente', 'centro de ayuda', 'seguridad', 'equipo de seguridad'], ['de'], ['whatsapp', 'meta']]),
  ...expand([['equipo', 'soporte'], ['oficial de'], ['whatsapp']]),
  'equipo whatsapp', 'soporte whatsapp', 'whatsapp te informa', 'whatsapp le informa', 'whatsapp informa', 'whatsapp oficial',
  'mensaje oficial de whatsapp', 'meta te informa',
  ...expand([['equipe', 'suporte', 'suporte técnico', 'segurança', 'central de ajuda'], ['do whatsapp', 'da meta']]),
  'equipe whatsapp', 'suporte whatsapp',
  ...expand([['whatsapp', 'meta'], ['support', 'team', 'security', 'help center', 'security team']]),
  'team whatsapp',
  ...expand([['tu', 'su'], ['cuenta', 'cuenta de whatsapp'], ['será', 'ha sido', 'va a ser', 'podría ser'], ['suspendida', 'bloqueada', 'eliminada', 'desactivada', 'cancelada', 'cerrada']]),
  ...expand([['sua'], ['conta', 'conta do whatsapp'], ['será', 'foi', 'vai ser', 'pode ser'], ['suspensa', 'bloqueada', 'excluída', 'desativada', 'cancelada']]),
  ...expand([['your'], ['account', 'whatsapp account'], ['will be', 'has been', 'may be'], ['suspended', 'blocked', 'deleted', 'disabled', 'banned']]),
  ...expand([['verifica', 'verificar', 'confirma', 'confirmar', 'reactiva'], ['tu'], ['cuenta de whatsapp', 'whatsapp']]),
  ...expand([['verifique', 'verificar', 'confirme'], ['sua'], ['conta do whatsapp', 'conta whatsapp']]),
  'verify your whatsapp', 'verify your whatsapp account', 'código de verificación de whatsapp', 'código de verificação do whatsapp',
];
