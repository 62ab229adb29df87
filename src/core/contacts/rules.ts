import type { RuleInfo } from '../findings.js';

export const CONTACT_RULES: RuleInfo[] = [
  {
    id: 'consent-conflict',
    severity: 'warning',
    summary: 'One row says yes and another says no for the same number: the no wins and it is not messaged.',
    fix: 'Keep one row per person, with their latest answer.',
  },
  { id: 'no-consent', severity: 'warning', summary: 'The consent cell is not an explicit yes (empty, "no", or unrecognised).', fix: 'Leave the contact out, or record their explicit opt-in as yes / sí / sim / true / 1.' },
  { id: 'consent-stale', severity: 'warning', summary: 'The consent date is older than --consent-max-age days.', fix: 'Ask the contact to opt in again, or raise --consent-max-age if your policy allows.' },
  { id: 'consent-date-invalid', severity: 'warning', summary: 'The consent date cannot be read, so its age is unknown.', fix: 'Write it as YYYY-MM-DD or DD/MM/YYYY.' },
  { id: 'consent-evidence-missing', severity: 'warning', summary: 'No record of when or where consent was given (no consent_at / consent_source column, or empty in this row).', fix: 'Add consent_at and consent_source columns: Meta can ask for proof of opt-in.' },
  { id: 'phone-needs-country', severity: 'error', summary: 'A number written without +country code, in a row without a country of its own and no --default-country to read it with.', fix: 'Add a country column, pass --default-country (e.g. ES), or write the number as +34 ...' },
  { id: 'invalid-phone', severity: 'warning', summary: 'The phone cell is empty or not a valid number for its country.', fix: 'Correct the number; store phone columns as text so a spreadsheet cannot round them.' },
  { id: 'not-whatsapp-number', severity: 'warning', summary: 'Premium-rate, toll-free, shared-cost, pager, UAN or voicemail number: no WhatsApp account can use it.', fix: 'Replace it with the contact\'s mobile number.' },
  { id: 'argentina-mobile-9', severity: 'warning', summary: 'An Argentine number in a WhatsApp or mobile column reads as a landline: Argentine mobiles carry a 9 after +54 on WhatsApp.', fix: 'Add the 9 (+54 9 11 ...) if it is a mobile; the row is still sent as written.' },
  { id: 'international-suggested', severity: 'warning', summary: 'Most numbers are written without + but start with a country code (WhatsApp IDs, CRM exports): read nationally they are wrong or invalid.', fix: 'Pass --international.' },
  { id: 'landline', severity: 'warning', summary: 'A fixed-line number: it is only reachable if the business registered it on WhatsApp.', fix: 'Prefer the contact\'s mobile number; the row is still sent.' },
  { id: 'duplicate', severity: 'warning', summary: 'The same number (after E.164 normalisation) as an earlier row: it gets one message.', fix: 'Remove the repeated row, or merge the two.' },
  { id: 'do-not-contact', severity: 'info', summary: 'The list itself flags the person: do not contact / do not SMS / blacklisted / unsubscribed / deceased / consent withdrawn (the column is named).', fix: 'Nothing: the row is not messaged, whatever its consent says. Clear the flag only with a new opt-in.' },
  { id: 'phone-fallback', severity: 'info', summary: 'The chosen phone column is empty in this row; the number comes from the next phone column (WhatsApp, then mobile, then any phone).', fix: 'Nothing, if that number is the one the person opted in with; otherwise fill the phone cell or pass --phone-column.' },
  { id: 'suppressed', severity: 'info', summary: 'The number is on an opt-out / do-not-contact list (--suppress, .campaign/optouts.txt).', fix: 'Nothing: it is skipped. Remove it from the list only with a new opt-in.' },
  { id: 'suppress-unreadable', severity: 'warning', summary: 'Entries of an opt-out list (--suppress, .campaign/optouts.txt) that are no phone number, or national numbers without --default-country: they suppress nobody.', fix: 'Correct those lines, or pass --default-country for national numbers; the message names the file and the lines.' },
  { id: 'tz-invalid', severity: 'warning', summary: 'The row\'s tz cell is not a time zone: --window reads this recipient\'s hours in the number\'s own zone (or this machine\'s).', fix: 'Write an IANA zone name, e.g. Europe/Madrid or America/Bogota, or leave the cell empty.' },
  { id: 'missing-variable', severity: 'warning', summary: 'A column the template uses is empty in this row, so the message would have a hole.', fix: 'Fill the cell, or change the template so it does not need it.' },
  { id: 'header-not-first', severity: 'info', summary: 'A title or notes stand above the header row: the header was found on a later line and the rows above it were skipped.', fix: 'Nothing if the line is right; otherwise pass --header-line N with the header\'s line.' },
  { id: 'ragged-row', severity: 'warning', summary: 'The row has more or fewer fields than the header: a value may hold an unquoted delimiter.', fix: 'Quote values that contain the delimiter, and check that the columns line up.' },
];
