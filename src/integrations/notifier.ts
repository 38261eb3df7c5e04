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
