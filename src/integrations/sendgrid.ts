/**
 * E-mail through SendGrid's v3 Mail Send API (`@sendgrid/mail`). SendGrid answers 202 with the
 * message id in the X-Message-Id header. It takes no idempotency key: the outbox's claim before
 * the send (activities/notifications.ts) keeps a retry from mailing twice; the outbox row id rides
 * along as a custom argument, so SendGrid's own event webhooks can be matched to it.
 */
import { MailService } from '@sendgrid/mail';
import { NOTIFIER_REQUEST_TIMEOUT_MS, NotifierError, notifierErrorOf, type Notifier, type OutgoingMessage, type SentMessage } from './notifier';

export interface SendGridOptions {
  apiKey: string;
  /** The verified sender (SENDGRID_FROM_EMAIL). */
  from: string;
  /** SENDGRID_API_BASE: another server speaking SendGrid's API (a recording server in tests). */
  apiBase?: string;
  timeoutMs?: number;
}


export class SendGridNotifier implements Notifier {
  // An instance of our own: the package's default export is a process-wide singleton.
  private readonly mail = new MailService();

  constructor(private readonly opts: SendGridOptions) {
    this.mail.setApiKey(opts.apiKey);
    // After setApiKey, which resets the base URL to SendGrid's regional host.
    if (opts.apiBase) mailClient(this.mail).setDefaultRequest('baseUrl', opts.apiBase);
    this.mail.setTimeout(opts.timeoutMs ?? NOTIFIER_REQUEST_TIMEOUT_MS);
  }

  async send(message: OutgoingMessage): Promise<SentMessage> {
    if (message.channel !== 'email') throw new NotifierError(`SendGrid sends e-mail, not ${message.channel}.`, false);
    try {
      const [response] = await this.mail.send({
        to: message.to,
        from: this.opts.from,
        subject: message.subject,
        text: message.text,
        html: message.html,
        customArgs: { outbox_id: message.idempotencyKey },
      });
      const header = response.headers['x-message-id'] as string | string[] | undefined;
      const messageId = Array.isArray(header) ? header[0] : header;
      // Accepted without an id (not something SendGrid does): the outbox row id still identifies the message.
      return { provider: 'sendgrid', messageId: messageId ?? `sendgrid-${message.idempotencyKey}` };
    } catch (err) {
      const failure = err as Error & { code?: number | string; response?: { body?: unknown } };
      if (typeof failure.code === 'number' && failure.response) {
        throw notifierErrorOf('SendGrid', failure.code, `${failure.message}${describeErrors(failure.response.body)}`);
      }
      if ((err as { isAxiosError?: boolean }).isAxiosError) {
        throw notifierErrorOf('SendGrid', undefined, `${failure.message}${failure.code ? ` (${failure.code})` : ''}`,
          typeof failure.code === 'string' ? failure.code : undefined);
      }
      throw err;
    }
  }
}

/** The client inside a MailService; its type does not declare it, though setClient/setTimeout use it. */
function mailClient(mail: MailService): { setDefaultRequest(key: 'baseUrl', value: string): unknown } {
  return (mail as unknown as { client: { setDefaultRequest(key: 'baseUrl', value: string): unknown } }).client;
}

/** SendGrid explains a refusal in { errors: [{ message, field }] }. */
function describeErrors(body: unknown): string {
  const errors = (body as { errors?: { message?: string; field?: string | null }[] } | undefined)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return '';
  return `: ${errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ')}`;
}
