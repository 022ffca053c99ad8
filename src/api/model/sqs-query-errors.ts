/**
 * SQS's query-era error codes and statuses, which its JSON model (awsQueryCompatible) no longer
 * carries: the query protocol answers `<Code>` with them and the JSON protocol sends them as
 * `x-amzn-query-error`, as SQS does (codes from the 2012-11-05 query model, botocore ≤ 1.29).
 */
export const SQS_QUERY_ERRORS: Readonly<Record<string, { code: string; httpStatusCode: number }>> = {
  BatchEntryIdsNotDistinct: { code: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', httpStatusCode: 400 },
  BatchRequestTooLong: { code: 'AWS.SimpleQueueService.BatchRequestTooLong', httpStatusCode: 400 },
  EmptyBatchRequest: { code: 'AWS.SimpleQueueService.EmptyBatchRequest', httpStatusCode: 400 },
  InvalidBatchEntryId: { code: 'AWS.SimpleQueueService.InvalidBatchEntryId', httpStatusCode: 400 },
  MessageNotInflight: { code: 'AWS.SimpleQueueService.MessageNotInflight', httpStatusCode: 400 },
  OverLimit: { code: 'OverLimit', httpStatusCode: 403 },
  PurgeQueueInProgress: { code: 'AWS.SimpleQueueService.PurgeQueueInProgress', httpStatusCode: 403 },
  QueueDeletedRecently: { code: 'AWS.SimpleQueueService.QueueDeletedRecently', httpStatusCode: 400 },
  QueueDoesNotExist: { code: 'AWS.SimpleQueueService.NonExistentQueue', httpStatusCode: 400 },
  QueueNameExists: { code: 'QueueAlreadyExists', httpStatusCode: 400 },
  TooManyEntriesInBatchRequest: { code: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', httpStatusCode: 400 },
  UnsupportedOperation: { code: 'AWS.SimpleQueueService.UnsupportedOperation', httpStatusCode: 400 },
  InvalidAttributeName: { code: 'InvalidAttributeName', httpStatusCode: 400 },
  InvalidAttributeValue: { code: 'InvalidAttributeValue', httpStatusCode: 400 },
  ReceiptHandleIsInvalid: { code: 'ReceiptHandleIsInvalid', httpStatusCode: 400 },
  InvalidMessageContents: { code: 'InvalidMessageContents', httpStatusCode: 400 },
  InvalidAddress: { code: 'InvalidAddress', httpStatusCode: 404 },
};
