import { describe, expect, it } from 'vitest';
import { scanText } from '../../../src/core/lint/scan-text.js';

const rules = (text: string) => scanText(text).map((f) => f.rule);

describe('scanText', () => {
  it.each([
    // banned-term fires
    ['banned-term', 'Grupo pornografía infantil'],
    ['banned-term', 'PORNOGRAFIA INFANTIL'],
    ['banned-term', 'pornografia infantil no'],
    ['banned-term', 'P.0.R.N.0   inf4ntil'],
    ['banned-term', 'p e d o f i l i a'],
    ['banned-term', 'ped\u200Bofilia'],
    ['banned-term', 'p\u0435dofilia'],
    ['banned-term', 'el grupo de los pedófilos'],
    ['banned-term', 'child p0rn links'],
    ['banned-term', 'childporn'],
    ['banned-term', 'vendo cp xxx'],
    ['banned-term', 'packs cp de menores'],
    ['banned-term', 'sexo com crianças'],
    // impersonation fires
    ['impersonation', 'El equipo de WhatsApp te informa'],
    ['impersonation', 'Soporte técnico de WhatsApp: verifica tu cuenta'],
    ['impersonation', 'WhatsApp te informa: nuevas condiciones'],
    ['impersonation', 'Tu cuenta será suspendida en 24 horas'],
    ['impersonation', 'sua conta será bloqueada'],
    ['impersonation', 'WhatsApp Support: your account will be suspended'],
    ['impersonation', 'Verifica tu cuenta de WhatsApp aquí'],
    // high-risk-term fires
    ['high-risk-term', '¡Gana dinero fácil desde casa!'],
    ['high-risk-term', 'Te pagamos por tu voto'],
    ['high-risk-term', 'Denuncia la compra de votos'],
    ['high-risk-term', 'Duplica tus bitcoins hoy'],
    ['high-risk-term', 'Préstamo sin aval en 24 h'],
    ['high-risk-term', 'Casino online con bono de bienvenida'],
  ])('%s fires on %j', (rule, text) => {
    expect(rules(text)).toContain(rule);
  });

  it.each([
    'Oficina de campaña: C/ Mayor 5, CP 28001 Madrid',
    'C.P. 08001 Barcelona, contador público (CP) Juan',
    'Los menores de edad deben venir acompañados',
    'Taller para niñas y niños de 6 a 12 años',
    'Loli y Pedro os esperan, ¡qué pedo más grande!',
    'Síguenos en nuestro canal de WhatsApp. Equipo de campaña',
    'Escríbenos por WhatsApp al equipo de voluntariado',
    'Tu cuenta de socio está al día',
    'Nuestra meta: 1000 voluntarios',
    'Vota el domingo 28 de mayo',
    'Mira el vídeo de Lolita Flores',
  ])('finds nothing in %j', (text) => {
    expect(scanText(text)).toEqual([]);
  });

  it('quotes the text as written and prefixes the location', () => {
    const [f] = scanText('Hola. P0rn0 infantil.', { where: 'column apodo' });
    expect(f).toMatchObject({ rule: 'banned-term', severity: 'error', value: 'P0rn0 infantil' });
    expect(f.message.startsWith('column apodo: "P0rn0 infantil"')).toBe(true);
  });

  it('scans a long value fast', () => {
    const text = 'Hola Ana, te esperamos en la plaza mayor a las ocho. '.repeat(80);
    const start = performance.now();
    for (let i = 0; i < 200; i++) scanText(text);
    expect(performance.now() - start).toBeLessThan(3000);
  });
});
