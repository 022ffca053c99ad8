/**
 * Where an operation's IAM action is not the operation's own name. Everywhere else the action is
 * `<prefix>:<Operation>`, as AWS's Service Authorization Reference names it (the catalog checks
 * that the data has it). Keyed by IAM prefix, then model operation name; values are action names
 * without the prefix. An operation AWS authorizes with two actions lists both: each is checked.
 */
export const OPERATION_ACTIONS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  lambda: {
    // "This is a special case where the action identifier (lambda:InvokeFunction) differs from the
    // API operation (Invoke)" — Lambda developer guide, resources and conditions for Lambda actions.
    Invoke: ['InvokeFunction'],
    // Response streaming is authorized as an invoke (the guide lists no separate action for it).
    InvokeWithResponseStream: ['InvokeFunction'],
    // The by-ARN form of GetLayerVersion is authorized as GetLayerVersion on that layer version.
    GetLayerVersionByArn: ['GetLayerVersion'],
  },
  kms: {
    // ReEncrypt needs kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination key.
    ReEncrypt: ['ReEncryptFrom', 'ReEncryptTo'],
  },
  sqs: {
    // A batch is authorized as the single-message action ("the permissions for ... SendMessageBatch
    // ... are the same as for SendMessage" — SQS developer guide, API permissions reference).
    SendMessageBatch: ['SendMessage'],
    DeleteMessageBatch: ['DeleteMessage'],
    ChangeMessageVisibilityBatch: ['ChangeMessageVisibility'],
  },
};
