import { CONTACT_RULES } from '../contacts/rules.js';
import { LINK_RULES } from './link-rules.js';
import { TEMPLATE_RULES } from './template-rules.js';
import type { RuleInfo } from '../findings.js';
import { PARITY_RULES } from '../parity/index.js';

const HISTORY_RULES: RuleInfo[] = [
  {
    id: 'recently-messaged',
    severity: 'info',
    summary: 'Another campaign messaged this number within --min-interval.',
    fix: 'Nothing: the row is skipped; lower --min-interval to include it.',
  },
];

/** Every lint rule, in the order the README's table lists them. */
export function allRules(): RuleInfo[] {
  return [...CONTACT_RULES, ...TEMPLATE_RULES, ...LINK_RULES, ...PARITY_RULES, ...HISTORY_RULES];
}

export function ruleFix(rule: string): string | undefined {
  return allRules().find((r) => r.id === rule)?.fix;
}
