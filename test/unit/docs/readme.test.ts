import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allRules } from '../../../src/core/lint/rules-catalog.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every lint rule with its severity', () => {
    for (const r of allRules()) {
      expect(readme, r.id).toMatch(new RegExp(`\\| \`${r.id}\` \\| ${r.severity} \\|`));
    }
  });

  it('has stable kebab-case rule ids, each once', () => {
    const ids = allRules().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
  });

  it('gives the two set-up commands', () => {
    expect(readme).toContain('npm install');
    expect(readme).toContain('npm test');
  });
});
