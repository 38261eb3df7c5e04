/**
 * SMS through Twilio's Messages API (the `twilio` SDK). Twilio reports delivery later, to the
 * status callback URL given with each message (POST /webhooks/twilio), which moves the outbox row
 * to delivered or undelivered. Twilio takes no idempotency key: the outbox's claim before the send
 * (activities/notifications.ts) is what keeps a retry from texting twice.
 */
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type Response from 'twilio/lib/http/response';
import { NOTIFIER_REQUEST_TIMEOUT_MS, NotifierError, notifierErrorOf, type Notifier, type OutgoingMessage, type SentMessage } from './notifier';

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  /** The sending number, E.164 (TWILIO_FROM_NUMBER). */
  from: string;
  /** Where Twilio posts delivery updates: PUBLIC_BASE_URL + /webhooks/twilio. Without it, rows stay 'sent'. */
  statusCallback?: string;
  /** TWILIO_API_BASE: another server speaking Twilio's API (a recording server in tests). */
  apiBase?: string;
  timeoutMs?: number;
}


/**
 * The SDK has no base-URL option, but takes an HTTP client: this one is the SDK's own, with every
 * request's origin (https://api.twilio.com) swapped for TWILIO_API_BASE. Paths, auth and bodies are untouched.
 */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly base: URL, opts: RequestClient.RequestClientOptions) {
    super(opts);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    const uri = new URL(opts.uri);
    uri.protocol = this.base.protocol;
    uri.host = this.base.host;
    return super.request<TData>({ ...opts, uri: uri.href });
  }
}

export class TwilioNotifier implements Notifier {
  private readonly client: twilio.Twilio;

  constructor(private readonly opts: TwilioOptions) {
    const timeout = opts.timeoutMs ?? NOTIFIER_REQUEST_TIMEOUT_MS;
    this.client = twilio(opts.accountSid, opts.authToken, {
      timeout,
      // Temporal retries the activity; the SDK retrying 429s inside an attempt would only hide them.
      autoRetry: false,
      ...(opts.apiBase ? { httpClient: new RebasedRequestClient(new URL(opts.apiBase), { timeout }) } : {}),
    });
  }

  async send(message: OutgoingMessage): Promise<SentMessage> {
    if (message.channel !== 'sms') throw new NotifierError(`Twilio sends SMS, not ${message.channel}.`, false);
    try {
      const sent = await this.client.messages.create({
        to: message.to,
        from: this.opts.from,
        body: message.text,
        ...(this.opts.statusCallback ? { statusCallback: this.opts.statusCallback } : {}),
      });
      return { provider: 'twilio', messageId: sent.sid };
    } catch (err) {
      if (err instanceof twilio.RestException) {
        throw notifierErrorOf('Twilio', err.status, `${err.message}${err.code ? ` (error ${err.code}${err.moreInfo ? `, ${err.moreInfo}` : ''})` : ''}`);
      }
      const network = (err as { code?: string; isAxiosError?: boolean });
      if (network.isAxiosError) throw notifierErrorOf('Twilio', undefined, `${(err as Error).message}${network.code ? ` (${network.code})` : ''}`, network.code);
      throw err;
    }
  }
}
