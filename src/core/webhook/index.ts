export { startWebhookServer } from './server.js';
export type { WebhookServer, WebhookServerOptions } from './server.js';
export type { WebhookItem, StatusItem, InboundItem, OptOutItem, DeliveryStatus, WebhookProvider as ProviderName } from '../providers/index.js';
export { isOptOutText, isOptOutButton, isOptOutCode, appendOptOut, normaliseReply } from './optout.js';
export { JournalIndex, appendEvent, discoverJournals } from './journals.js';
export type { JournalHit } from './journals.js';
