export { openCsv, resolveEncoding, sniffDelimiter, nameColumns, VALID_ENCODINGS } from './read.js';
export { resolveColumns, findColumn, normaliseName, phoneColumnRank, consentColumnRank, isConsentDateColumn, isConsentSourceColumn } from './columns.js';
export { isExplicitYes, normaliseConsentValue } from './consent.js';
export { normalisePhone, type PhoneKind, type PhoneResult } from './phone.js';
export { readOptOutList, parseOptOutLine, optOutsPath, optOutFiles, OptOutFollower, type SuppressionList, type SuppressionOptions } from './optouts.js';
export { parseWhere, compileWhere, foldValue, type RowFilter } from './where.js';
export { classifyContacts, parseConsentDate } from './classify.js';
export { CONTACT_RULES } from './rules.js';
export type * from './types.js';
