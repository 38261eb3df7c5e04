import type { Channel, Notifier, OutgoingMessage, SentMessage } from './notifier';

/** E-mail and SMS can each be real or simulated on their own: this sends each message through its channel's notifier. */
export class ByChannelNotifier implements Notifier {
  constructor(private readonly notifiers: Record<Channel, Notifier>) {}

  send(message: OutgoingMessage): Promise<SentMessage> {
    return this.notifiers[message.channel].send(message);
  }
}
