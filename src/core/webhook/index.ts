export { startWebhookServer } from './server.js';
export type { WebhookServer, WebhookServerOptions } from './server.js';
export { verifyMetaSignature, verifyTwilioSignature, verifyVonageJwt, twilioSignature } from './verify.js';
export { parseMetaPayload, parseTwilioForm, parseVonagePayload, toE164 } from './parse.js';
export type { WebhookItem, StatusItem, InboundItem, OptOutItem, DeliveryStatus, ProviderName } from './parse.js';
export { isOptOutText, isOptOutButton, isOptOutCode, appendOptOut, normaliseReply, OPT_OUT_CODES } from './optout.js';
export { JournalIndex, appendEvent, discoverJournals } from './journals.js';
export type { JournalHit } from './journals.js';
