export { fetchApprovedTemplate, placeholders } from './fetch.js';
export { compareTemplate, checkParity, PARITY_RULES, PARITY_SHAPE_RULES } from './compare.js';
export type { ApprovedTemplate, FetchOptions, ParityEnv } from './types.js';
