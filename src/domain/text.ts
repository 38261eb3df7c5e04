/**
 * Text PostgreSQL cannot keep: NUL (U+0000), refused in every text and JSON value, and a UTF-16
 * surrogate without its partner, which is not a character (refused in JSON, turned into U+FFFD in
 * text). The API refuses a request carrying either (src/api/boundary.ts); text we compose ourselves
 * from someone else's words (a notice quoting a provider's error) is made storable instead.
 */

/** A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored, or undefined when it can. */
export function unstorableReason(text: string): string | undefined {
  const match = UNSTORABLE.exec(text);
  if (!match) return undefined;
  return match[0] === '\u0000'
    ? 'contains a NUL character (U+0000), which cannot be stored'
    : `contains an unpaired UTF-16 surrogate (U+${match[0].charCodeAt(0).toString(16).toUpperCase()}), which is not a character and cannot be stored`;
}

/** The text with every character that cannot be stored replaced by U+FFFD (the replacement character). */
export function storable(text: string): string {
  return text.replace(new RegExp(UNSTORABLE.source, 'g'), '\uFFFD');
}
