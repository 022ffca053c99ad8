import amqp from 'amqplib';
import type { BrokerMessage, BrokerSubscription, MessageBrokers } from '../ports/message-brokers.js';

/**
 * RabbitMQ through amqplib. Flint has no Secrets Manager: a mapping's BASIC_AUTH secret ARN is
 * recorded as Lambda does, but the credentials come from the broker's URL in FLINT_MQ_BROKERS
 * (name → `amqp://user:password@host:port[/vhost]`). A mapping's VIRTUAL_HOST access
 * configuration picks the virtual host, as on Amazon MQ.
 */
export class AmqpBrokers implements MessageBrokers {
  readonly #urls: Record<string, string>;

  constructor(urls: Record<string, string>) {
    this.#urls = urls;
  }

  knows(brokerArn: string): boolean {
    return this.#url(brokerArn) !== undefined;
  }

  virtualHost(brokerArn: string, accessVirtualHost?: string): string {
    if (accessVirtualHost) return accessVirtualHost;
    const url = this.#url(brokerArn);
    const path = url ? new URL(url).pathname.slice(1) : '';
    return path ? decodeURIComponent(path) : '/';
  }

  async consume(brokerArn: string, opts: Parameters<MessageBrokers['consume']>[1]): Promise<BrokerSubscription> {
    const base = this.#url(brokerArn);
    if (!base) throw new Error(`broker ${brokerArn} is not in FLINT_MQ_BROKERS`);
    const url = new URL(base);
    url.pathname = '/' + encodeURIComponent(opts.virtualHost ?? this.virtualHost(brokerArn));
    const conn = await amqp.connect(url.toString(), { timeout: 10_000 });
    let closing = false;
    let reported = false;
    const lost = (err: Error) => {
      if (closing || reported) return;
      reported = true;
      opts.onClose(err);
    };
    conn.on('error', (err: Error) => lost(err));
    conn.on('close', () => lost(new Error('connection closed')));
    try {
      const ch = await conn.createChannel();
      ch.on('error', (err: Error) => lost(err));
      ch.on('close', () => lost(new Error('channel closed')));
      await ch.prefetch(opts.prefetch);
      await ch.consume(opts.queue, (msg) => {
        if (!msg) return lost(new Error('consumer cancelled by the broker'));
        const settle = (f: () => void) => {
          try {
            f();
          } catch {
            // the channel is gone: the broker requeues the delivery itself
          }
        };
        const message: BrokerMessage = {
          content: msg.content,
          properties: { ...msg.properties } as Record<string, unknown>,
          redelivered: msg.fields.redelivered,
          ack: () => settle(() => ch.ack(msg)),
          nack: () => settle(() => ch.nack(msg, false, true)),
        };
        opts.onMessage(message);
      }, { noAck: false });
    } catch (err) {
      closing = true;
      await conn.close().catch(() => {});
      throw err;
    }
    return {
      async close() {
        closing = true;
        await conn.close().catch(() => {});
      },
    };
  }

  #url(brokerArn: string): string | undefined {
    // arn:aws:mq:<region>:<account>:broker:<name>:<id>
    const parts = brokerArn.split(':');
    if (parts[2] !== 'mq' || parts[5] !== 'broker') return undefined;
    return this.#urls[parts[6] ?? ''];
  }
}
