/**
 * The core never touches the terminal: argv, exit codes, stdout, prompts, colour and spinners
 * belong to src/cli (style.md §4), so the core can be driven from tests and as a library.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const core = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/core');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const full = path.join(dir, f);
    return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
  });
}

describe('src/core', () => {
  it.each(files(core).map((f) => [path.relative(core, f), f]))('%s stays off the terminal', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/from '(commander|inquirer|chalk|ora)'/);
    expect(text).not.toMatch(/process\.(exit|argv|stdout|stdin)\b/);
  });
});

/** Which parts of the core may lean on which: the shared types live where both sides can use them. */
const FORBIDDEN: [from: string, to: string][] = [
  ['contacts', 'lint'],
  ['parity', 'lint'],
  ['journal', 'campaign'],
  ['journal', 'lint'],
  ['providers', 'campaign'],
  ['providers', 'lint'],
];

describe('src/core import directions', () => {
  const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)].map((m) => path.resolve(path.dirname(file), m[1]));
  it.each(FORBIDDEN)('%s/ does not import from %s/', (from, to) => {
    const offending = files(path.join(core, from)).flatMap((f) =>
      importsOf(f).filter((target) => target.startsWith(path.join(core, to) + path.sep)).map((target) => `${path.relative(core, f)} → ${path.relative(core, target)}`),
    );
    expect(offending).toEqual([]);
  });
});

/**
 * A provider is reached through the registry (providers/index.ts) only: nothing outside
 * src/core/providers/ imports a provider's folder, so adding or changing one touches one place.
 */
describe('provider folders', () => {
  const providers = path.join(core, 'providers');
  const folders = readdirSync(providers).filter((f) => statSync(path.join(providers, f)).isDirectory());
  const outside = [...files(core), ...files(path.join(core, '../cli'))].filter((f) => !f.startsWith(providers + path.sep));
  it('exist (the check below is not vacuous)', () => expect(folders.length).toBeGreaterThan(0));
  it.each(folders)('nothing outside src/core/providers/ imports providers/%s/', (folder) => {
    const dir = path.join(providers, folder) + path.sep;
    const offending = outside.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)]
        .map((m) => path.resolve(path.dirname(f), m[1]))
        .filter((target) => target.startsWith(dir))
        .map((target) => `${path.relative(core, f)} → ${path.relative(core, target)}`),
    );
    expect(offending).toEqual([]);
  });
});
