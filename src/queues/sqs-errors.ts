import { AwsError } from '../domain/errors.js';

/**
 * SQS's errors with AWS's texts. The error type is the model's shape name (QueueDoesNotExist, …)
 * or, for errors the model does not list, the query-era code SQS answers (InvalidParameterValue,
 * MissingParameter).
 */
export const sqsErrors = {
  queueDoesNotExist: () => new AwsError('QueueDoesNotExist', 'The specified queue does not exist.'),
  queueNameExists: (attribute: string) => new AwsError('QueueNameExists', `A queue already exists with the same name and a different value for attribute ${attribute}`),
  invalidParameterValue: (message: string) => new AwsError('InvalidParameterValue', message, { status: 400 }),
  missingParameter: (name: string) => new AwsError('MissingParameter', `The request must contain the parameter ${name}.`, { status: 400 }),
  invalidAttributeName: (name: string) => new AwsError('InvalidAttributeName', `Unknown Attribute ${name}`),
  invalidAttributeValue: (name: string, reason?: string) => new AwsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.${reason ? ` Reason: ${reason}` : ''}`),
  receiptHandleIsInvalid: (handle: string) => new AwsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`),
  messageNotInflight: () => new AwsError('MessageNotInflight', 'The message referred to is not in flight.'),
  purgeQueueInProgress: (arn: string) => new AwsError('PurgeQueueInProgress', `Only one PurgeQueue operation on ${queueNameOf(arn)} is allowed every 60 seconds.`),
  invalidMessageContents: (message: string) => new AwsError('InvalidMessageContents', message),
  emptyBatch: (type: string) => new AwsError('EmptyBatchRequest', `There should be at least one ${type} in the request.`),
  tooManyEntries: (n: number) => new AwsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${n}.`),
  idsNotDistinct: (id: string) => new AwsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`),
  invalidBatchEntryId: () => new AwsError('InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.'),
  batchTooLong: (size: number) => new AwsError('BatchRequestTooLong', `Batch requests cannot be longer than 262144 bytes. You have sent ${size} bytes.`),
  unsupported: (message: string) => new AwsError('UnsupportedOperation', message),
  /** 503, which the SDKs retry: in a cluster, while the queues move to a new leader. */
  serviceUnavailable: (why: string) => new AwsError('ServiceUnavailable', `The service is unavailable: ${why}. Retry the request.`, { status: 503 }),
};

function queueNameOf(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}
