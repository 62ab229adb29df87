import { classifyRow } from '../codes.js';
import type { Classification, ClassifyContext, CodeTable } from '../types.js';

/** Twilio `code`s (providers.md §2): how each is handled and what it means, one row per code. */
export const TWILIO_CODES: CodeTable = {
  // §2 row "20003"
  '20003': { class: 'stop', meaning: 'Twilio rejected the credentials.', action: 'Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, then resume.' },
  // §2 row "20429"
  '20429': { class: 'retry', throttle: true, meaning: 'Too many concurrent requests to Twilio.', action: 'Resume with a lower --concurrency.' },
  // §2 row "21211"
  '21211': { class: 'fail-contact', meaning: "The 'To' number is not valid.", action: 'Fix or remove the number.' },
  // §2 row "21408"
  '21408': { class: 'stop', meaning: 'Sending to this country is not enabled on the account.', action: 'Enable the country in Twilio geo permissions.' },
  // §2 row "21610"
  '21610': { class: 'suppress', meaning: 'The person replied STOP (unsubscribed).', action: 'They are now opted out; never send to them again.' },
  // §2 row "21614"
  '21614': { class: 'fail-contact', meaning: "The 'To' number is not a valid mobile number.", action: 'Fix or remove the number.' },
  // §2 row "63016"
  '63016': { class: 'fail-contact', freeFormClass: 'stop', meaning: 'Outside the 24 h window: free text is not allowed.', action: 'Send an approved template (content_sid in the front matter).' },
  // §2 row "63018"
  '63018': { class: 'retry', throttle: true, meaning: 'Rate limit exceeded for the WhatsApp channel.', action: 'Lower --rate and resume later.' },
  // §2 row "63024"
  '63024': { class: 'fail-contact', meaning: 'Invalid message recipient.', action: 'Check the number; remove it if it is not on WhatsApp.' },
  // §2 row "63032"
  '63032': { class: 'fail-contact', meaning: "The person's number is part of a Meta experiment.", action: 'Nothing to do; this person was not sent to.' },
  // §2 row "63003"
  '63003': { class: 'fail-contact', meaning: 'The channel could not find the To address.', action: 'Check the number; remove it if it is not on WhatsApp.' },
  // §2 row "63014"
  '63014': { class: 'suppress', meaning: 'The person blocked the business or opted out.', action: 'They are now opted out; never send to them again.' },
  // §2 row "63021"
  '63021': { class: 'fail-contact', meaning: 'Invalid content (unsupported media, or too long after filling in values).', action: 'Shorten the values or fix the media.' },
  // §2 row "63007"
  '63007': { class: 'stop', meaning: "No WhatsApp channel for the 'From' address.", action: 'Check TWILIO_WHATSAPP_FROM.' },
  // §2 row "63049"
  '63049': { class: 'defer-contact', meaning: 'Meta chose not to deliver this marketing message.', action: 'Do not retry now; try again in a few days or leave them out.' },
};

export function classifyTwilio(code: number | string | undefined, httpStatus?: number, ctx: ClassifyContext = {}): Classification {
  return classifyRow(code === undefined ? undefined : TWILIO_CODES[String(code).trim()], httpStatus, ctx);
}
