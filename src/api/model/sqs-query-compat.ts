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

/**
 * The query-era wire names SQS's JSON model dropped (2012-11-05 query model): list items, map
 * entries and members as the query protocol names them — `AttributeName.1`, `Attribute.1.Name`,
 * `MessageAttribute.1.Value.StringValue`, `<Message>` elements. Only the query protocol reads
 * `locationName` on body members; the JSON protocol keeps the member names.
 */
export const SQS_QUERY_NAMES: {
  shapeMembers: Readonly<Record<string, string>>;
  mapEntries: Readonly<Record<string, readonly [string, string]>>;
  members: Readonly<Record<string, string>>;
} = {
  // List shape → its items' name.
  shapeMembers: {
    AWSAccountIdList: 'AWSAccountId', ActionNameList: 'ActionName', AttributeNameList: 'AttributeName',
    BatchResultErrorEntryList: 'BatchResultErrorEntry', BinaryList: 'BinaryListValue',
    ChangeMessageVisibilityBatchRequestEntryList: 'ChangeMessageVisibilityBatchRequestEntry',
    ChangeMessageVisibilityBatchResultEntryList: 'ChangeMessageVisibilityBatchResultEntry',
    DeleteMessageBatchRequestEntryList: 'DeleteMessageBatchRequestEntry', DeleteMessageBatchResultEntryList: 'DeleteMessageBatchResultEntry',
    MessageAttributeNameList: 'MessageAttributeName', MessageList: 'Message', QueueUrlList: 'QueueUrl',
    SendMessageBatchRequestEntryList: 'SendMessageBatchRequestEntry', SendMessageBatchResultEntryList: 'SendMessageBatchResultEntry',
    StringList: 'StringListValue', TagKeyList: 'TagKey', MessageSystemAttributeList: 'AttributeName',
  },
  // Map shape → its entries' key and value names.
  mapEntries: {
    MessageBodyAttributeMap: ['Name', 'Value'], MessageBodySystemAttributeMap: ['Name', 'Value'],
    MessageSystemAttributeMap: ['Name', 'Value'], QueueAttributeMap: ['Name', 'Value'], TagMap: ['Key', 'Value'],
  },
  // `Shape.member` → the member's name.
  members: {
    'CreateQueueRequest.Attributes': 'Attribute', 'CreateQueueRequest.tags': 'Tag', 'GetQueueAttributesResult.Attributes': 'Attribute',
    'ListQueueTagsResult.Tags': 'Tag', 'Message.Attributes': 'Attribute', 'Message.MessageAttributes': 'MessageAttribute',
    'MessageAttributeValue.BinaryListValues': 'BinaryListValue', 'MessageAttributeValue.StringListValues': 'StringListValue',
    'MessageSystemAttributeValue.BinaryListValues': 'BinaryListValue', 'MessageSystemAttributeValue.StringListValues': 'StringListValue',
    'SendMessageBatchRequestEntry.MessageAttributes': 'MessageAttribute', 'SendMessageBatchRequestEntry.MessageSystemAttributes': 'MessageSystemAttribute',
    'SendMessageRequest.MessageAttributes': 'MessageAttribute', 'SendMessageRequest.MessageSystemAttributes': 'MessageSystemAttribute',
    'SetQueueAttributesRequest.Attributes': 'Attribute', 'TagQueueRequest.Tags': 'Tag',
  },
};
