/**
 * The notification seam: e-mail (SendGrid) and SMS (Twilio), or the simulated notifier (the
 * default) that only logs. The outbox (activities/notifications.ts) guarantees at most one send
 * per order + template + channel; the idempotency key is passed along where the provider takes one.
 */
export type Channel = 'email' | 'sms';

export interface OutgoingMessage {
  channel: Channel;
  to: string;
  subject: string;
  text: string;
  html: string;
  idempotencyKey: string;
}

export interface SentMessage {
  provider: string;
  messageId: string;
}

export interface Notifier {
  send(message: OutgoingMessage): Promise<SentMessage>;
}

/** How long a notifier waits for the provider's answer; below the activity's timeout, so a hung request fails inside the attempt. */
export const NOTIFIER_REQUEST_TIMEOUT_MS = 20_000;

/**
 * An outbox claim ('sending') older than this belongs to an attempt that is gone: a live one has
 * finished or failed by then, since the notifiers give up on a request after NOTIFIER_REQUEST_TIMEOUT_MS.
 * Such a message is in doubt: it may have gone, so it is never sent again by itself.
 */
export const STALE_CLAIM_SECONDS = 30;

export class NotifierError extends Error {
  /**
   * @param retryable a later attempt may succeed (rate limit, outage, network)
   * @param maybeSent the request may have reached the provider (a timeout or a connection cut after
   *   sending): the message may have gone, so it must not be sent again automatically
   */
  constructor(message: string, readonly retryable: boolean, readonly maybeSent = false) {
    super(message);
    this.name = 'NotifierError';
  }
}

/** Network failures that happen before a request leaves this machine: the message certainly did not go. */
const NOT_SENT_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ERR_INVALID_URL', 'CERT_HAS_EXPIRED'];

/**
 * A provider's refusal or a failed call, classified once for every notifier: 429 (rate limit) and
 * 5xx are worth retrying; any other 4xx says the message itself is wrong (bad number, unverified
 * sender), and a retry would only be refused again. Without an answer (`status` undefined) the
 * network `code` decides: refused or unresolvable means nothing was sent and a retry is safe; a
 * timeout or a dropped connection means it may have gone (neither provider takes an idempotency
 * key), so it is not retried: sending twice is worse than support resending once.
 */
export function notifierErrorOf(provider: string, status: number | undefined, detail: string, code?: string): NotifierError {
  if (status === undefined) {
    const notSent = code !== undefined && NOT_SENT_CODES.includes(code);
    return new NotifierError(`${provider} ${notSent ? 'could not be reached' : 'did not answer'}: ${detail}`, notSent, !notSent);
  }
  return new NotifierError(`${provider} answered ${status}: ${detail}`, status === 429 || status >= 500);
}
