import { CONTACT_RULES } from '../contacts/rules.js';
import { LINK_RULES } from './link-rules.js';
import { TEMPLATE_RULES } from './template-rules.js';
import { MEDIA_RULES } from './media.js';
import type { RuleInfo } from '../findings.js';
import { PARITY_RULES, PARITY_SHAPE_RULES } from '../parity/index.js';
import { VERDICT_RULES } from '../campaign/verdict.js';

/** Every lint rule, in the order the README's table lists them. */
export function allRules(): RuleInfo[] {
  return [...CONTACT_RULES, ...TEMPLATE_RULES, ...LINK_RULES, ...MEDIA_RULES, ...PARITY_RULES, ...PARITY_SHAPE_RULES, ...VERDICT_RULES];
}

export function ruleFix(rule: string): string | undefined {
  return allRules().find((r) => r.id === rule)?.fix;
}
