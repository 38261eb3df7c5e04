import type { Logger } from '../../logger';
import type { Notifier, OutgoingMessage, SentMessage } from '../notifier';

/** The default notifier: nothing leaves the machine; the outbox row and a log line record the message. */
export class SimulatedNotifier implements Notifier {
  constructor(private readonly logger: Logger) {}

  async send(message: OutgoingMessage): Promise<SentMessage> {
    const messageId = `sim-${message.channel}-${message.idempotencyKey}`;
    this.logger.info({ channel: message.channel, subject: message.subject, messageId },
      `simulated ${message.channel} sent (no provider configured): ${message.subject}`);
    return { provider: 'simulated', messageId };
  }
}
