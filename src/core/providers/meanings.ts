/**
 * What each provider error code means and what to do about it (providers.md §1.5, §2, §3): the
 * one table behind the send summary, `status`, and the report. How a code is *handled* (its
 * class) lives in classify.ts.
 */
export interface CodeMeaning {
  meaning: string;
  action: string;
}

type Table = Record<string, CodeMeaning>;

const CLOUD: Table = {
  '0': { meaning: 'The access token could not be authenticated (expired, invalidated or revoked).', action: 'Generate a new token and set WHATSAPP_TOKEN, then resume.' },
  '190': { meaning: 'The access token has expired.', action: 'Generate a new token and set WHATSAPP_TOKEN, then resume.' },
  '3': { meaning: 'The app lacks the capability or permission for this API call.', action: 'Check the app permissions in Meta Business Manager.' },
  '10': { meaning: 'Permission denied: a permission was not granted or was removed.', action: 'Grant whatsapp_business_messaging to the app, then resume.' },
  '4': { meaning: "The app hit Meta's API call rate limit.", action: 'Wait, then resume; lower --rate if it repeats.' },
  '80007': { meaning: 'The WhatsApp Business Account hit its rate limit.', action: 'Wait, then resume with a lower --rate.' },
  '130429': { meaning: 'Cloud API throughput for this phone number was reached.', action: 'Lower --rate (80/s is the default ceiling) and resume.' },
  '131057': { meaning: 'The account was in maintenance mode (e.g. a throughput upgrade).', action: 'Wait a minute, then resume.' },
  '131056': { meaning: 'Too many messages to the same person in a short time (pair rate limit).', action: 'Resume later; avoid sending several messages to one person in a row.' },
  '131048': { meaning: 'Sending is restricted: earlier messages were blocked or reported as spam.', action: 'Stop, check quality in WhatsApp Manager and review the list and the message.' },
  '131049': { meaning: "Meta chose not to deliver this marketing message (per-person marketing cap).", action: 'Do not retry now; try these people again in a few days or leave them out.' },
  '131050': { meaning: 'The person stopped marketing messages from this business.', action: 'They are now opted out; never send them marketing again.' },
  '130472': { meaning: "The person's number is part of a Meta marketing experiment.", action: 'Nothing to do; this person was not sent to.' },
  '131026': { meaning: 'Undeliverable: not a WhatsApp number, terms not accepted, or an old app.', action: 'Check the number; remove it if it is not on WhatsApp.' },
  '131047': { meaning: 'More than 24 h since the person last wrote: free text is not allowed.', action: 'Send an approved template (front matter in the template file).' },
  '131051': { meaning: 'Unsupported message type.', action: 'Check the template file and the provider settings.' },
  '131053': { meaning: 'The media in the message could not be uploaded or fetched.', action: 'Check the media URL is public and a supported format.' },
  '131000': { meaning: 'Something went wrong at the provider (generic error).', action: 'Resume later; contact the provider if it persists.' },
  '131016': { meaning: 'The service was temporarily unavailable.', action: 'Resume later.' },
  '131031': { meaning: 'The business account is locked or restricted.', action: 'Stop and check the account status in WhatsApp Manager.' },
  '368': { meaning: 'Temporarily blocked for policy violations.', action: 'Stop and check the account status in WhatsApp Manager.' },
  '132000': { meaning: "The number of parameters does not match the approved template's.", action: "Fix params in the template's front matter, then resume." },
  '132001': { meaning: 'The template does not exist in that language or is not approved.', action: 'Check template name and language against WhatsApp Manager.' },
  '132005': { meaning: 'The message became too long after filling in the values.', action: "Shorten this person's values (1,024 characters at most)." },
  '132007': { meaning: "The template's format or character policy was violated.", action: 'Check the values for this person (no newlines, tabs or 4+ spaces).' },
  '132012': { meaning: "A parameter's format does not match the approved template.", action: "Compare the template file with the approved template's components." },
  '132015': { meaning: 'The template is paused for low quality.', action: 'Stop; edit the template in WhatsApp Manager or use another.' },
  '132016': { meaning: 'The template was permanently disabled.', action: 'Create and get approval for a new template.' },
  '133010': { meaning: 'The business phone number is not registered on the Cloud API.', action: 'Register the phone number, then resume.' },
  '1': { meaning: 'Invalid request or a possible provider error.', action: 'Resume later; check the request if it persists.' },
  '2': { meaning: 'Temporary provider downtime or overload.', action: 'Resume later.' },
  '100': { meaning: 'Invalid parameter in the request.', action: 'Check the number and the template settings.' },
  '131008': { meaning: 'A required parameter is missing.', action: 'Check the CSV has a value for every template parameter.' },
  '131009': { meaning: 'A parameter value is not valid.', action: 'Check this person\'s values and number.' },
  '131021': { meaning: 'The recipient is the sending number itself.', action: 'Remove the business number from the list.' },
  '131042': { meaning: 'Business eligibility or payment problem.', action: 'Fix the payment method in Meta Business Manager.' },
  '33': { meaning: 'The business phone number was deleted.', action: 'Check WHATSAPP_PHONE_NUMBER_ID.' },
  '200-299': { meaning: 'An API permission is missing.', action: 'Grant it to the token in Meta Business Manager, then resume.' },
  '131052': { meaning: 'Media sent by the person could not be downloaded.', action: 'Nothing to do for a campaign.' },
};

const TWILIO: Table = {
  '20003': { meaning: 'Twilio rejected the credentials.', action: 'Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, then resume.' },
  '20429': { meaning: 'Too many concurrent requests to Twilio.', action: 'Resume with a lower --concurrency.' },
  '21211': { meaning: "The 'To' number is not valid.", action: 'Fix or remove the number.' },
  '21408': { meaning: 'Sending to this country is not enabled on the account.', action: 'Enable the country in Twilio geo permissions.' },
  '21610': { meaning: 'The person replied STOP (unsubscribed).', action: 'They are now opted out; never send to them again.' },
  '21614': { meaning: "The 'To' number is not a valid mobile number.", action: 'Fix or remove the number.' },
  '63016': { meaning: 'Outside the 24 h window: free text is not allowed.', action: 'Send an approved template (content_sid in the front matter).' },
  '63018': { meaning: 'Rate limit exceeded for the WhatsApp channel.', action: 'Lower --rate and resume later.' },
  '63024': { meaning: 'Invalid message recipient.', action: 'Check the number; remove it if it is not on WhatsApp.' },
  '63032': { meaning: "The person's number is part of a Meta experiment.", action: 'Nothing to do; this person was not sent to.' },
  '63003': { meaning: 'The channel could not find the To address.', action: 'Check the number; remove it if it is not on WhatsApp.' },
  '63014': { meaning: 'The person blocked the business or opted out.', action: 'They are now opted out; never send to them again.' },
  '63021': { meaning: 'Invalid content (unsupported media, or too long after filling in values).', action: 'Shorten the values or fix the media.' },
  '63007': { meaning: "No WhatsApp channel for the 'From' address.", action: 'Check TWILIO_WHATSAPP_FROM.' },
  '63049': { meaning: 'Meta chose not to deliver this marketing message.', action: 'Do not retry now; try again in a few days or leave them out.' },
};

const VONAGE: Table = {
  '1000': { meaning: 'Throttled by Vonage.', action: 'Lower --rate and resume.' },
  '1010': { meaning: 'Missing parameters in the request.', action: 'Check the template settings.' },
  '1020': { meaning: 'Invalid parameters in the request.', action: 'Check the number and the template settings.' },
  '1022': { meaning: 'Invalid template.', action: 'Check template name and language against WhatsApp Manager.' },
  '1030': { meaning: 'Internal Vonage error.', action: 'Resume later.' },
  '1040': { meaning: 'Invalid message.', action: 'Check the template file.' },
  '1050': { meaning: 'The number is barred.', action: 'Remove the number.' },
  '1060': { meaning: 'The account is barred.', action: 'Contact Vonage support.' },
  '1070': { meaning: 'Out of credit or quota.', action: 'Top up the Vonage account, then resume.' },
  '1120': { meaning: 'Illegal sender.', action: 'Check VONAGE_WHATSAPP_FROM.' },
  '429': { meaning: 'Throttled by Vonage (HTTP 429).', action: 'Sending slows down and retries; lower --rate if it repeats.' },
  '401': { meaning: 'Vonage rejected the credentials.', action: 'Check VONAGE_API_KEY and VONAGE_API_SECRET.' },
  '402': { meaning: 'Low balance on the Vonage account.', action: 'Top up the account, then resume.' },
  '422': { meaning: 'Vonage found the request invalid.', action: 'Check the number and the template settings.' },
};

/** Transport outcomes (no provider answer), whatever the provider. */
const TRANSPORT: Table = {
  ETIMEDOUT: { meaning: 'The request timed out: the provider may or may not have sent it.', action: 'Check with the provider before resending (--resend-uncertain).' },
  ECONNRESET: { meaning: 'The connection was reset mid-request: outcome unknown.', action: 'Check with the provider before resending (--resend-uncertain).' },
  ECONNREFUSED: { meaning: 'The provider could not be reached.', action: 'Check the network and the *_API_URL setting, then resume.' },
  ENOTFOUND: { meaning: "The provider's host name could not be resolved.", action: 'Check the network and the *_API_URL setting, then resume.' },
  EAI_AGAIN: { meaning: 'A DNS lookup failed for a moment before the request was sent.', action: 'Retried; check the network if it repeats.' },
  ABORTED: { meaning: 'Interrupted by the user.', action: 'Resume when ready.' },
  BAD_RESPONSE: { meaning: 'The provider answered success without a message id: outcome unknown.', action: 'Check with the provider before resending (--resend-uncertain).' },
  '502': { meaning: 'A gateway error (HTTP 502) after the request was sent: outcome unknown.', action: 'Check with the provider before resending (--resend-uncertain).' },
  '504': { meaning: 'A gateway timeout (HTTP 504) after the request was sent: outcome unknown.', action: 'Check with the provider before resending (--resend-uncertain).' },
  '429': { meaning: 'Too many requests (HTTP 429).', action: 'Lower --rate and resume.' },
  '500': { meaning: 'Provider server error (HTTP 500) without a documented code: outcome unknown.', action: 'Check with the provider before resending (--resend-uncertain).' },
  '503': { meaning: 'Provider unavailable (HTTP 503).', action: 'Resume later.' },
};

const BY_PROVIDER: Record<string, Table> = { cloud: CLOUD, twilio: TWILIO, vonage: VONAGE };

/** Codes that mean the person opted out (Meta 131050, Twilio 21610 / 63014). */
export const OPT_OUT_CODES: ReadonlySet<string> = new Set(['131050', '21610', '63014']);

/** Looks a code up for the given provider first, then transport codes, then the other providers. */
export function lookupCode(code: string, provider?: string): CodeMeaning | undefined {
  let key = String(code).trim();
  // Meta documents 200-299 as one row.
  if ((provider === 'cloud' || provider === 'sandbox') && /^2\d\d$/.test(key)) key = '200-299';
  if (provider === 'sandbox') provider = 'cloud';
  const own = provider ? BY_PROVIDER[provider] : undefined;
  if (own?.[key]) return own[key];
  if (TRANSPORT[key]) return TRANSPORT[key];
  for (const [name, table] of Object.entries(BY_PROVIDER)) {
    if (name !== provider && table[key]) return table[key];
  }
  return undefined;
}
