import { CLOUD_CODES } from './cloud/codes.js';
import type { CodeTable } from './types.js';
import { TWILIO_CODES } from './twilio/codes.js';
import { VONAGE_CODES } from './vonage/codes.js';

/**
 * Every provider's code table (the sandbox answers with the Cloud API's), apart from the
 * providers themselves: the journal's reduction needs the opt-out codes, and its worker thread
 * should not load every provider's client, webhook and media code to get them.
 */
export const CODE_TABLES: readonly CodeTable[] = [CLOUD_CODES, TWILIO_CODES, VONAGE_CODES];

/** Codes that mean the person opted out: every `suppress` row (Meta 131050, Twilio 21610 / 63014). */
export const OPT_OUT_CODES: ReadonlySet<string> = new Set(
  CODE_TABLES.flatMap((codes) => Object.entries(codes).filter(([, row]) => row.class === 'suppress').map(([code]) => code)),
);
