import type { OperationHandlers, RequestContext } from '../request-context.js';
import type { ValidationSkips } from '../aws-service.js';
import type { QueueService } from '../../queues/queue-service.js';
import type { LiveQueue } from '../../queues/live-queue.js';
import { messageSize, receiptHandle, type MessageService, type SendInput } from '../../queues/message-service.js';
import { sqsErrors } from '../../queues/sqs-errors.js';
import { AwsError } from '../../domain/errors.js';
import { receivedMessage } from '../../queues/received-message.js';

type Input = Record<string, any>;

/** Attribute names SQS answers InvalidAttributeName for, with its own text, instead of a ValidationException. */
export const SQS_VALIDATION_SKIPS: ValidationSkips = {
  CreateQueue: new Set(['attributes']),
  SetQueueAttributes: new Set(['attributes']),
  GetQueueAttributes: new Set(['attributeNames']),
};

const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * SQS's operations (src/queues holds their behaviour). Queue URLs are built on the endpoint the
 * client reached, `<endpoint>/<account>/<name>`, as SQS names queues on a custom endpoint.
 * Permission operations (AddPermission/RemovePermission) and message move tasks are not served.
 */
export function sqsHandlers(queues: QueueService, messages: MessageService): OperationHandlers {
  const url = (ctx: RequestContext, q: LiveQueue) => queues.urlOf(ctx.endpoint, q.name);
  const sendInput = (e: Input, ctx: RequestContext): SendInput => ({
    body: e.MessageBody,
    ...(e.DelaySeconds !== undefined ? { delaySeconds: e.DelaySeconds } : {}),
    ...(e.MessageAttributes ? { messageAttributes: e.MessageAttributes } : {}),
    ...(e.MessageSystemAttributes ? { systemAttributes: e.MessageSystemAttributes } : {}),
    ...(e.MessageGroupId !== undefined ? { groupId: e.MessageGroupId } : {}),
    ...(e.MessageDeduplicationId !== undefined ? { deduplicationId: e.MessageDeduplicationId } : {}),
    senderId: ctx.principal.userId,
  });
  return {
    CreateQueue: (i: Input, ctx) => ({ QueueUrl: url(ctx, queues.create(i.QueueName, i.Attributes ?? {}, i.tags ?? {})) }),
    GetQueueUrl: (i: Input, ctx) => {
      const q = queues.byName(i.QueueName);
      if (!q || (i.QueueOwnerAWSAccountId !== undefined && i.QueueOwnerAWSAccountId !== queues.accountId)) throw sqsErrors.queueDoesNotExist();
      return { QueueUrl: url(ctx, q) };
    },
    ListQueues: (i: Input, ctx) => {
      const page = queues.list(i.QueueNamePrefix, i.MaxResults, i.NextToken);
      return {
        ...(page.names.length > 0 ? { QueueUrls: page.names.map((n) => queues.urlOf(ctx.endpoint, n)) } : {}),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },
    ListDeadLetterSourceQueues: (i: Input, ctx) => ({ queueUrls: queues.deadLetterSources(queues.byUrl(i.QueueUrl)).map((n) => queues.urlOf(ctx.endpoint, n)) }),
    DeleteQueue: (i: Input) => {
      queues.delete(queues.byUrl(i.QueueUrl));
    },
    GetQueueAttributes: (i: Input) => {
      const attrs = queues.attributes(queues.byUrl(i.QueueUrl), i.AttributeNames);
      return Object.keys(attrs).length > 0 ? { Attributes: attrs } : {};
    },
    SetQueueAttributes: (i: Input) => {
      queues.setAttributes(queues.byUrl(i.QueueUrl), i.Attributes ?? {});
    },
    TagQueue: (i: Input) => {
      queues.tag(queues.byUrl(i.QueueUrl), i.Tags ?? {});
    },
    UntagQueue: (i: Input) => {
      queues.untag(queues.byUrl(i.QueueUrl), i.TagKeys ?? []);
    },
    ListQueueTags: (i: Input) => {
      const tags = queues.byUrl(i.QueueUrl).stored.tags;
      return Object.keys(tags).length > 0 ? { Tags: tags } : {};
    },
    PurgeQueue: (i: Input) => {
      queues.purge(queues.byUrl(i.QueueUrl));
    },
    SendMessage: (i: Input, ctx) => {
      const q = queues.byUrl(i.QueueUrl);
      const m = sendInput(i, ctx);
      messages.validate(q, m);
      const [r] = messages.sendAll(q, [m]);
      return {
        MD5OfMessageBody: r!.md5OfBody,
        ...(r!.md5OfMessageAttributes ? { MD5OfMessageAttributes: r!.md5OfMessageAttributes } : {}),
        ...(r!.md5OfMessageSystemAttributes ? { MD5OfMessageSystemAttributes: r!.md5OfMessageSystemAttributes } : {}),
        MessageId: r!.messageId,
        ...(r!.sequenceNumber ? { SequenceNumber: r!.sequenceNumber } : {}),
      };
    },
    SendMessageBatch: (i: Input, ctx) => {
      const q = queues.byUrl(i.QueueUrl);
      const entries = checkBatch(i.Entries, 'SendMessageBatchRequestEntry');
      const total = entries.reduce((n, e) => n + messageSize({ body: e.MessageBody ?? '', messageAttributes: e.MessageAttributes }), 0);
      if (total > 262144) throw sqsErrors.batchTooLong(total);
      const failed: Input[] = [];
      const ok: Array<{ id: string; m: SendInput }> = [];
      for (const e of entries) {
        const m = sendInput(e, ctx);
        try {
          messages.validate(q, m);
          ok.push({ id: e.Id, m });
        } catch (err) {
          failed.push(failure(e.Id, err));
        }
      }
      const results = messages.sendAll(q, ok.map((o) => o.m));
      return {
        Successful: results.map((r, n) => ({
          Id: ok[n]!.id,
          MessageId: r.messageId,
          MD5OfMessageBody: r.md5OfBody,
          ...(r.md5OfMessageAttributes ? { MD5OfMessageAttributes: r.md5OfMessageAttributes } : {}),
          ...(r.md5OfMessageSystemAttributes ? { MD5OfMessageSystemAttributes: r.md5OfMessageSystemAttributes } : {}),
          ...(r.sequenceNumber ? { SequenceNumber: r.sequenceNumber } : {}),
        })),
        Failed: failed,
      };
    },
    ReceiveMessage: async (i: Input) => {
      const q = queues.byUrl(i.QueueUrl);
      const max = i.MaxNumberOfMessages ?? 1;
      if (!Number.isInteger(max) || max < 1 || max > 10) throw sqsErrors.invalidParameterValue(`Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
      const wait = i.WaitTimeSeconds ?? q.num('ReceiveMessageWaitTimeSeconds');
      if (!Number.isInteger(wait) || wait < 0 || wait > 20) throw sqsErrors.invalidParameterValue(`Value ${wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`);
      const vis = i.VisibilityTimeout;
      if (vis !== undefined && (!Number.isInteger(vis) || vis < 0 || vis > 43200)) throw sqsErrors.invalidParameterValue(`Value ${vis} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.`);
      const got = await messages.receive(q, {
        max,
        waitMs: wait * 1000,
        ...(vis !== undefined ? { visibilityTimeoutSeconds: vis } : {}),
        ...(i.ReceiveRequestAttemptId ? { attemptId: i.ReceiveRequestAttemptId } : {}),
      });
      const systemNames: string[] = [...(i.AttributeNames ?? []), ...(i.MessageSystemAttributeNames ?? [])];
      const out = got.map((m) => receivedMessage(m, receiptHandle(m), systemNames, i.MessageAttributeNames ?? []));
      return out.length > 0 ? { Messages: out } : {};
    },
    DeleteMessage: (i: Input) => {
      if (!i.ReceiptHandle) throw sqsErrors.missingParameter('ReceiptHandle');
      messages.delete(queues.byUrl(i.QueueUrl), i.ReceiptHandle);
    },
    DeleteMessageBatch: (i: Input) => {
      const q = queues.byUrl(i.QueueUrl);
      return eachEntry(checkBatch(i.Entries, 'DeleteMessageBatchRequestEntry'), (e) => messages.delete(q, e.ReceiptHandle));
    },
    ChangeMessageVisibility: (i: Input) => {
      messages.changeVisibility(queues.byUrl(i.QueueUrl), i.ReceiptHandle, i.VisibilityTimeout);
    },
    ChangeMessageVisibilityBatch: (i: Input) => {
      const q = queues.byUrl(i.QueueUrl);
      return eachEntry(checkBatch(i.Entries, 'ChangeMessageVisibilityBatchRequestEntry'), (e) => messages.changeVisibility(q, e.ReceiptHandle, e.VisibilityTimeout ?? 0));
    },
  };
}

/** Batch-level checks, as SQS makes them before any entry: count, distinct and well-formed ids. */
function checkBatch(entries: Input[] | undefined, type: string): Input[] {
  if (!entries || entries.length === 0) throw sqsErrors.emptyBatch(type);
  if (entries.length > 10) throw sqsErrors.tooManyEntries(entries.length);
  const seen = new Set<string>();
  for (const e of entries) {
    if (typeof e.Id !== 'string' || !ENTRY_ID.test(e.Id)) throw sqsErrors.invalidBatchEntryId();
    if (seen.has(e.Id)) throw sqsErrors.idsNotDistinct(e.Id);
    seen.add(e.Id);
  }
  return entries;
}

function eachEntry(entries: Input[], run: (e: Input) => void): { Successful: Input[]; Failed: Input[] } {
  const Successful: Input[] = [];
  const Failed: Input[] = [];
  for (const e of entries) {
    try {
      run(e);
      Successful.push({ Id: e.Id });
    } catch (err) {
      Failed.push(failure(e.Id, err));
    }
  }
  return { Successful, Failed };
}

/** A batch entry's failure: the error's query-era code, its message, and whose fault it was. */
function failure(id: string, err: unknown): Input {
  if (!(err instanceof AwsError)) throw err;
  return { Id: id, SenderFault: true, Code: err.type, Message: err.message };
}
