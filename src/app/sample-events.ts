import { randomBytes, randomUUID } from 'node:crypto';
import { sqsEventRecord } from '../event-sources/sqs-event.js';
import { buildUrlEvent } from '../invoke/function-url-payload.js';
import { md5OfBody } from '../queues/message-md5.js';
import { scheduledEvent } from '../schedules/scheduled-event.js';

/** Where a sample event claims to come from. */
export interface SampleContext {
  region: string;
  account: string;
  nowMs: number;
}

export interface SampleOptions {
  /** Message body (sqs), request body (function-url), or the event's detail JSON (eventbridge). */
  body?: string;
  /** Queue name (sqs), rule name (schedule), request path (function-url), source (eventbridge). */
  name?: string;
  /** HTTP method (function-url); detail-type (eventbridge). */
  kind?: string;
}

/**
 * Sample events for the sources Flint delivers, built by the same functions that build the real
 * ones (the SQS poller's record, the schedule ticker's "Scheduled Event", the function URL's
 * payload 2.0), so a sample cannot drift from what a function receives. Values follow AWS's own
 * samples (`sam local generate-event`, the Lambda console's test events) where the code has none.
 */
export const SAMPLE_SOURCES: Record<string, { description: string; build: (c: SampleContext, o: SampleOptions) => unknown }> = {
  sqs: {
    description: 'a batch of one SQS message, as an event source mapping delivers it',
    build: (c, o) => {
      const body = o.body ?? 'Hello from SQS!';
      const sent = String(c.nowMs);
      return {
        Records: [
          sqsEventRecord(
            {
              messageId: randomUUID(),
              receiptHandle: randomBytes(96).toString('base64'),
              body,
              md5OfBody: md5OfBody(body),
              attributes: { ApproximateReceiveCount: '1', SentTimestamp: sent, SenderId: c.account, ApproximateFirstReceiveTimestamp: String(c.nowMs + 1) },
              messageAttributes: {},
            },
            `arn:aws:sqs:${c.region}:${c.account}:${o.name ?? 'MyQueue'}`,
            c.region,
          ),
        ],
      };
    },
  },
  schedule: {
    description: 'the "Scheduled Event" an EventBridge schedule rule (rate/cron) sends',
    build: (c, o) => scheduledEvent({ id: randomUUID(), account: c.account, region: c.region, tickMs: Math.floor(c.nowMs / 60_000) * 60_000, ruleArn: `arn:aws:events:${c.region}:${c.account}:rule/${o.name ?? 'my-schedule'}` }),
  },
  eventbridge: {
    description: 'an EventBridge event (PutEvents) as a rule delivers it to a function',
    build: (c, o) => {
      let detail: unknown = {};
      if (o.body !== undefined) detail = JSON.parse(o.body) as unknown;
      // The envelope is the scheduled event's: EventBridge uses one shape for every event.
      const base = scheduledEvent({ id: randomUUID(), account: c.account, region: c.region, tickMs: c.nowMs, ruleArn: '' });
      return { ...base, 'detail-type': o.kind ?? 'Order Placed', source: o.name ?? 'com.example.shop', resources: [], detail };
    },
  },
  'function-url': {
    description: 'an HTTP request to a function URL (payload format 2.0)',
    build: (c, o) => {
      const urlId = [...randomBytes(32)].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
      const domainName = `${urlId}.lambda-url.${c.region}.on.aws`;
      const body = o.body === undefined ? Buffer.alloc(0) : Buffer.from(o.body);
      const [path, query = ''] = (o.name ?? '/').split('?', 2) as [string, string?];
      const rawHeaders = ['host', domainName, 'user-agent', 'curl/8.5.0', 'accept', '*/*', ...(body.length ? ['content-type', 'application/json', 'content-length', String(body.length)] : [])];
      const epoch = Math.floor(c.nowMs / 1000).toString(16);
      return buildUrlEvent({
        method: o.kind ?? (body.length ? 'POST' : 'GET'),
        rawPath: path,
        rawQueryString: query,
        rawHeaders,
        body,
        sourceIp: '203.0.113.10',
        protocol: 'HTTP/1.1',
        urlId,
        domainName,
        requestId: randomUUID(),
        nowMs: c.nowMs,
        accountId: 'anonymous',
        added: { 'x-amzn-trace-id': `Root=1-${epoch}-${randomBytes(12).toString('hex')}`, 'x-forwarded-for': '203.0.113.10', 'x-forwarded-proto': 'https', 'x-forwarded-port': '443' },
      });
    },
  },
};
