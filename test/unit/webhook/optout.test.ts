import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendOptOut, isOptOutButton, isOptOutCode, isOptOutText } from '../../../src/core/webhook/optout.js';

describe('isOptOutText', () => {
  it.each([
    'BAJA', ' baja. ', 'Baja', 'baja!!', 'Dar de baja', 'darme de baja por favor', 'STOP', 'stop 🛑', 'Parar', 'PARA', 'Sair',
    'cancelar', 'Unsubscribe', 'desuscribir', 'No más', 'NO MAS', 'Não quero', 'nao quero mais', 'Remover', 'Alto', 'stop stop',
    'Stop promotions', 'Detener promociones', 'Parar promoções', '¡BAJA!', 'please stop',
  ])('%j is an opt-out', (t) => expect(isOptOutText(t)).toBe(true));

  it.each([
    'no paro de pensar en el acto', 'stop by the rally', 'Para cuándo es el acto?', 'hola', 'sí', 'gracias', '', 'bajamos al centro',
    'no puedo ir, baja la música', 'Stopover in Madrid',
  ])('%j is not', (t) => expect(isOptOutText(t)).toBe(false));
});

describe('isOptOutButton / isOptOutCode', () => {
  it('payloads and button text', () => {
    expect(isOptOutButton('STOP_PROMOTIONS')).toBe(true);
    expect(isOptOutButton('stop_promo_es')).toBe(true);
    expect(isOptOutButton('STOP')).toBe(true);
    expect(isOptOutButton('btn_2', 'Stop promotions')).toBe(true);
    expect(isOptOutButton('YES_GOING', 'Sí, voy')).toBe(false);
  });
  it('codes', () => {
    expect(isOptOutCode('131050')).toBe(true);
    expect(isOptOutCode(131050)).toBe(true);
    expect(isOptOutCode('21610')).toBe(true);
    expect(isOptOutCode('63014')).toBe(true);
    expect(isOptOutCode('131049')).toBe(false);
    expect(isOptOutCode(undefined)).toBe(false);
  });
});

describe('appendOptOut', () => {
  let dir: string;
  // The folder's list only; the user-level mirror has its own test.
  const lists = (d: string) => [join(d, '.campaign/optouts.txt')];
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'optout-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('creates .campaign/optouts.txt, one number a line, no duplicates even when concurrent', async () => {
    const results = await Promise.all([appendOptOut(lists(dir), '+34600111222'), appendOptOut(lists(dir), '+34600111222'), appendOptOut(lists(dir), '+34600111333')]);
    expect(results).toEqual([true, false, true]);
    expect(await appendOptOut(lists(dir), '34600111222')).toBe(false);
    expect(await readFile(join(dir, '.campaign/optouts.txt'), 'utf8')).toBe('+34600111222\n+34600111333\n');
  });
  it('recognises hand-written numbers and repairs a missing final newline', async () => {
    await mkdir(join(dir, '.campaign'));
    await writeFile(join(dir, '.campaign/optouts.txt'), '# do not contact\n+34 600 11 12 22\n+34600999999');
    expect(await appendOptOut(lists(dir), '+34600111222')).toBe(false);
    expect(await appendOptOut(lists(dir), '+34600111333')).toBe(true);
    expect(await readFile(join(dir, '.campaign/optouts.txt'), 'utf8')).toBe('# do not contact\n+34 600 11 12 22\n+34600999999\n+34600111333\n');
  });
  it("mirrors each opt-out to every list it is given (the folder's and the user-level one)", async () => {
    const home = join(dir, 'home');
    const files = [join(dir, '.campaign/optouts.txt'), join(home, 'optouts.txt')];
    await mkdir(home);
    await writeFile(files[1], '+34600111222\n');
    expect(await appendOptOut(files, '+34600111222')).toBe(true); // new to the folder, known to the user
    expect(await appendOptOut(files, '+34600111333')).toBe(true);
    expect(await readFile(files[0], 'utf8')).toBe('+34600111222\n+34600111333\n');
    expect(await readFile(files[1], 'utf8')).toBe('+34600111222\n+34600111333\n');
  });
});
