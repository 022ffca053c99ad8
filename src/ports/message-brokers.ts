/**
 * Message brokers (RabbitMQ, as Lambda's Amazon MQ source) as the event source mappings consume
 * them. Brokers are addressed by Amazon MQ broker ARN; the driver maps each to a broker URL.
 */
export interface BrokerMessage {
  /** The message body, as delivered. */
  content: Buffer;
  /** AMQP 0-9-1 basic properties (contentType, headers, deliveryMode, priority, correlationId, …). */
  properties: Record<string, unknown>;
  redelivered: boolean;
  /** Settles the delivery: ack after success; nack requeues it for another delivery. */
  ack(): void;
  nack(): void;
}

export interface BrokerSubscription {
  /** Stops consuming and closes the connection; unacknowledged deliveries return to the queue. */
  close(): Promise<void>;
}

export interface MessageBrokers {
  /** Whether the broker ARN names a configured broker. */
  knows(brokerArn: string): boolean;
  /** The broker's virtual host for a mapping (from its VIRTUAL_HOST access configuration, else the URL's, else `/`). */
  virtualHost(brokerArn: string, accessVirtualHost?: string): string;
  /**
   * Connects and consumes `queue` with at most `prefetch` unacknowledged deliveries. `onClose` is
   * called once if the connection is lost (not after `close`); the caller reconnects.
   */
  consume(brokerArn: string, opts: {
    queue: string;
    virtualHost?: string;
    prefetch: number;
    onMessage(message: BrokerMessage): void;
    onClose(err: Error): void;
  }): Promise<BrokerSubscription>;
}
