import { classifyRow } from '../codes.js';
import type { Classification, CodeTable } from '../types.js';

/** Vonage problem codes (the `type` URL fragment) and the HTTP statuses it documents (providers.md §3): how each is handled and what it means, one row per code. */
export const VONAGE_CODES: CodeTable = {
  // §3 "Classes: 429/1000 RETRY"
  '429': { class: 'retry', throttle: true, meaning: 'Throttled by Vonage (HTTP 429).', action: 'Sending slows down and retries; lower --rate if it repeats.' },
  // §3 "Classes: 429/1000 RETRY"
  '1000': { class: 'retry', throttle: true, meaning: 'Throttled by Vonage.', action: 'Lower --rate and resume.' },
  // §3 "Classes: 401/402/1060/1070 STOP"
  '401': { class: 'stop', meaning: 'Vonage rejected the credentials.', action: 'Check VONAGE_API_KEY and VONAGE_API_SECRET.' },
  // §3 "Classes: 401/402/1060/1070 STOP"
  '402': { class: 'stop', meaning: 'Low balance on the Vonage account.', action: 'Top up the account, then resume.' },
  // §3 "Classes: 401/402/1060/1070 STOP"
  '1060': { class: 'stop', meaning: 'The account is barred.', action: 'Contact Vonage support.' },
  // §3 "Classes: 401/402/1060/1070 STOP"
  '1070': { class: 'stop', meaning: 'Out of credit or quota.', action: 'Top up the Vonage account, then resume.' },
  // §3 "1022 STOP"
  '1022': { class: 'stop', meaning: 'Invalid template.', action: 'Check template name and language against WhatsApp Manager.' },
  // §3 "1050/invalid recipient FAIL-CONTACT"
  '1050': { class: 'fail-contact', meaning: 'The number is barred.', action: 'Remove the number.' },
  // §3 list "1030 internal" (500): transient
  '1030': { class: 'retry', meaning: 'Internal Vonage error.', action: 'Resume later.' },
  // §3 list "1120 illegal sender": the sender is shared by every message, so it is configuration
  '1120': { class: 'stop', meaning: 'Illegal sender.', action: 'Check VONAGE_WHATSAPP_FROM.' },
  // §3 list "1010 missing params": no class given; it comes with HTTP 422, a failure for this message
  '1010': { class: 'fail-contact', meaning: 'Missing parameters in the request.', action: 'Check the template settings.' },
  // §3 list "1020 invalid params": as 1010
  '1020': { class: 'fail-contact', meaning: 'Invalid parameters in the request.', action: 'Check the number and the template settings.' },
  // §3 list "1040 invalid message": as 1010
  '1040': { class: 'fail-contact', meaning: 'Invalid message.', action: 'Check the template file.' },
  // §3 HTTP 422 (invalid params / recipient ...) without a known problem code
  '422': { class: 'fail-contact', meaning: 'Vonage found the request invalid.', action: 'Check the number and the template settings.' },
};

/** By problem code or, without a known one, by the HTTP status (§3). */
export function classifyVonage(code: number | string | undefined, httpStatus?: number): Classification {
  const row = (code === undefined ? undefined : VONAGE_CODES[String(code).trim()]) ?? (httpStatus === undefined ? undefined : VONAGE_CODES[String(httpStatus)]);
  return classifyRow(row, httpStatus);
}
