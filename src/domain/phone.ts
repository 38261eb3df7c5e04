/**
 * E.164: a plus, a country code and the subscriber number, at most 15 digits, no spaces or
 * punctuation (+447700900123). SMS providers take nothing else, so anything else is refused
 * before a send is attempted: no SMS, a log line, and the e-mail still goes.
 */
const E164 = /^\+[1-9]\d{1,14}$/;

export function isE164(phone: string): boolean {
  return E164.test(phone);
}
