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

export class NotifierError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = 'NotifierError';
  }
}

/**
 * A provider's refusal or a failed call, classified once for every notifier: no answer (network),
 * 429 (rate limit) and 5xx are worth retrying; any other 4xx says the message itself is wrong
 * (bad number, unverified sender), and a retry would only be refused again.
 */
export function notifierErrorOf(provider: string, status: number | undefined, detail: string): NotifierError {
  const retryable = status === undefined || status === 429 || status >= 500;
  const what = status === undefined ? 'could not be reached' : `answered ${status}`;
  return new NotifierError(`${provider} ${what}: ${detail}`, retryable);
}
