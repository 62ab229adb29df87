import { classifyRow } from '../codes.js';
import type { Classification, ClassifyContext, CodeTable } from '../types.js';

/** How code messages name the provider. */
export const CLOUD_TITLE = 'WhatsApp Cloud API';

/** Meta Cloud API `error.code`s (providers.md §1.5): how each is handled and what it means, one row per code. */
export const CLOUD_CODES: CodeTable = {
  // §1.5 row "0"
  '0': { class: 'stop', meaning: 'The access token could not be authenticated (expired, invalidated or revoked).', action: 'Generate a new token and set WHATSAPP_TOKEN, then resume.' },
  // §1.5 row "190"
  '190': { class: 'stop', meaning: 'The access token has expired.', action: 'Generate a new token and set WHATSAPP_TOKEN, then resume.' },
  // §1.5 row "3"
  '3': { class: 'stop', meaning: 'The app lacks the capability or permission for this API call.', action: 'Check the app permissions in Meta Business Manager.' },
  // §1.5 row "10"
  '10': { class: 'stop', meaning: 'Permission denied: a permission was not granted or was removed.', action: 'Grant whatsapp_business_messaging to the app, then resume.' },
  // §1.5 row "200–299" (looked up as a range by cloudCodeKey)
  '200-299': { class: 'stop', meaning: 'An API permission is missing.', action: 'Grant it to the token in Meta Business Manager, then resume.' },
  // §1.5 row "4"
  '4': { class: 'retry', throttle: true, meaning: "The app hit Meta's API call rate limit.", action: 'Wait, then resume; lower --rate if it repeats.' },
  // §1.5 row "80007"
  '80007': { class: 'retry', throttle: true, meaning: 'The WhatsApp Business Account hit its rate limit.', action: 'Wait, then resume with a lower --rate.' },
  // §1.5 row "130429"
  '130429': { class: 'retry', throttle: true, meaning: 'Cloud API throughput for this phone number was reached.', action: 'Lower --rate (80/s is the default ceiling) and resume.' },
  // §1.5 row "131057"
  '131057': { class: 'retry', retryAfterMs: 60_000, meaning: 'The account was in maintenance mode (e.g. a throughput upgrade).', action: 'Wait a minute, then resume.' },
  // §1.5 row "131056"
  '131056': { class: 'defer-contact', meaning: 'Too many messages to the same person in a short time (pair rate limit).', action: 'Resume later; avoid sending several messages to one person in a row.' },
  // §1.5 row "131048"
  '131048': { class: 'stop', meaning: 'Sending is restricted: earlier messages were blocked or reported as spam.', action: 'Stop, check quality in WhatsApp Manager and review the list and the message.' },
  // §1.5 row "131049"
  '131049': { class: 'defer-contact', meaning: "Meta chose not to deliver this marketing message (per-person marketing cap).", action: 'Do not retry now; try these people again in a few days or leave them out.' },
  // §1.5 row "131050"
  '131050': { class: 'suppress', meaning: 'The person stopped marketing messages from this business.', action: 'They are now opted out; never send them marketing again.' },
  // §1.5 row "130472"
  '130472': { class: 'fail-contact', meaning: "The person's number is part of a Meta marketing experiment.", action: 'Nothing to do; this person was not sent to.' },
  // §1.5 row "131026"
  '131026': { class: 'fail-contact', meaning: 'Undeliverable: not a WhatsApp number, terms not accepted, or an old app.', action: 'Check the number; remove it if it is not on WhatsApp.' },
  // §1.5 row "131047"
  '131047': { class: 'fail-contact', freeFormClass: 'stop', meaning: 'More than 24 h since the person last wrote: free text is not allowed.', action: 'Send an approved template (front matter in the template file).' },
  // §1.5 row "131051"
  '131051': { class: 'fail-contact', meaning: 'Unsupported message type.', action: 'Check the template file and the provider settings.' },
  // §1.5 row "131052"
  '131052': { class: 'fail-contact', meaning: 'Media sent by the person could not be downloaded.', action: 'Nothing to do for a campaign.' },
  // §1.5 row "131053" (campaign messages carry no media of their own, so it is about this message)
  '131053': { class: 'fail-contact', meaning: 'The media in the message could not be uploaded or fetched.', action: 'Check the media URL is public and a supported format.' },
  // §1.5 row "131000"
  '131000': { class: 'retry', meaning: 'Something went wrong at the provider (generic error).', action: 'Resume later; contact the provider if it persists.' },
  // §1.5 row "131016"
  '131016': { class: 'retry', meaning: 'The service was temporarily unavailable.', action: 'Resume later.' },
  // §1.5 row "131031"
  '131031': { class: 'stop', meaning: 'The business account is locked or restricted.', action: 'Stop and check the account status in WhatsApp Manager.' },
  // §1.5 row "368"
  '368': { class: 'stop', meaning: 'Temporarily blocked for policy violations.', action: 'Stop and check the account status in WhatsApp Manager.' },
  // §1.5 row "132000"
  '132000': { class: 'stop', meaning: "The number of parameters does not match the approved template's.", action: "Fix params in the template's front matter, then resume." },
  // §1.5 row "132001"
  '132001': { class: 'stop', meaning: 'The template does not exist in that language or is not approved.', action: 'Check template name and language against WhatsApp Manager.' },
  // §1.5 row "132005"
  '132005': { class: 'fail-contact', meaning: 'The message became too long after filling in the values.', action: "Shorten this person's values (1,024 characters at most)." },
  // §1.5 row "132007"
  '132007': { class: 'fail-contact', meaning: "The template's format or character policy was violated.", action: 'Check the values for this person (no newlines, tabs or 4+ spaces).' },
  // §1.5 row "132012"
  '132012': { class: 'stop', meaning: "A parameter's format does not match the approved template.", action: "Compare the template file with the approved template's components." },
  // §1.5 row "132015"
  '132015': { class: 'stop', meaning: 'The template is paused for low quality.', action: 'Stop; edit the template in WhatsApp Manager or use another.' },
  // §1.5 row "132016"
  '132016': { class: 'stop', meaning: 'The template was permanently disabled.', action: 'Create and get approval for a new template.' },
  // §1.5 row "133010"
  '133010': { class: 'stop', meaning: 'The business phone number is not registered on the Cloud API.', action: 'Register the phone number, then resume.' },
  // §1.5 row "1"
  '1': { class: 'retry', meaning: 'Invalid request or a possible provider error.', action: 'Resume later; check the request if it persists.' },
  // §1.5 row "2"
  '2': { class: 'retry', meaning: 'Temporary provider downtime or overload.', action: 'Resume later.' },
  // §1.5 row "100": STOP when it is the payload; numbers are validated before sending, so it is.
  '100': { class: 'stop', meaning: 'Invalid parameter in the request.', action: 'Check the number and the template settings.' },
  // §1.5 row "131008 / 131009": lint catches missing row data, so this is configuration.
  '131008': { class: 'stop', meaning: 'A required parameter is missing.', action: 'Check the CSV has a value for every template parameter.' },
  // §1.5 row "131008 / 131009"
  '131009': { class: 'stop', meaning: 'A parameter value is not valid.', action: 'Check this person\'s values and number.' },
  // §1.5 row "131021"
  '131021': { class: 'fail-contact', meaning: 'The recipient is the sending number itself.', action: 'Remove the business number from the list.' },
  // §1.5 row "131042"
  '131042': { class: 'stop', meaning: 'Business eligibility or payment problem.', action: 'Fix the payment method in Meta Business Manager.' },
  // §1.5 row "33"
  '33': { class: 'stop', meaning: 'The business phone number was deleted.', action: 'Check WHATSAPP_PHONE_NUMBER_ID.' },
};

/** Meta documents 200–299 as one row. */
export function cloudCodeKey(code: string): string {
  return /^2\d\d$/.test(code) ? '200-299' : code;
}

export function classifyCloud(code: number | string | undefined, httpStatus?: number, ctx: ClassifyContext = {}): Classification {
  return classifyRow(code === undefined ? undefined : CLOUD_CODES[cloudCodeKey(String(code).trim())], httpStatus, ctx);
}
