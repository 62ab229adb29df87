import type { ProviderModule } from '../types.js';
import { TWILIO_CODES } from './codes.js';
import { createTwilioProvider, TWILIO_SECRET_VARS } from './send.js';
import { readTwilioHealth } from './health.js';
import { fetchTwilioTemplate, listTwilioTemplates } from './templates.js';
import { twilioWebhook } from './webhook.js';

export { buildTwilioForm, createTwilioProvider, TWILIO_DEFAULT_API_URL } from './send.js';
export { classifyTwilio, TWILIO_CODES } from './codes.js';
export { parseTwilioAccount, readTwilioHealth } from './health.js';
export { listTwilioTemplates } from './templates.js';
export { parseTwilioForm, twilioSignature, verifyTwilioSignature } from './webhook.js';

/** Twilio's Programmable Messaging on the WhatsApp channel (providers.md §2). */
export const twilio: ProviderModule = {
  name: 'twilio',
  title: 'Twilio',
  secretVars: TWILIO_SECRET_VARS,
  create: createTwilioProvider,
  senderId: (env) => `twilio:${(env.TWILIO_WHATSAPP_FROM ?? '').replace(/^whatsapp:/i, '').replace(/[^\d+]/g, '')}`,
  codes: TWILIO_CODES,
  webhook: twilioWebhook,
  fetchApprovedTemplate: fetchTwilioTemplate,
  // The account's state only: the 2010 API has no quality, tier or throughput of the sender.
  health: readTwilioHealth,
  // The Content API's templates with their WhatsApp approval (no quality from Twilio).
  listTemplates: listTwilioTemplates,
  // Media belongs to the Content template (ContentSid); Twilio fetches it from a public URL, so a local file cannot be sent.
  headers: { image: ['url'], video: ['url'], document: ['url'], text: ['text'] },
};
