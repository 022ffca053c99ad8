import { AwsError } from '../domain/errors.js';

/**
 * KMS's errors with AWS's texts (as recorded from real KMS responses: `Key '<arn>' does not
 * exist`, `Invalid keyId 'x'`, `<arn> is disabled.`, an empty InvalidCiphertextException, …).
 */
export const kmsErrors = {
  keyNotFound: (arn: string) => new AwsError('NotFoundException', `Key '${arn}' does not exist`),
  invalidKeyId: (ref: string) => new AwsError('NotFoundException', `Invalid keyId '${ref}'`),
  aliasNotFound: (aliasArn: string) => new AwsError('NotFoundException', `Alias ${aliasArn} is not found.`),
  disabled: (arn: string) => new AwsError('DisabledException', `${arn} is disabled.`),
  pendingDeletion: (arn: string) => new AwsError('KMSInvalidStateException', `${arn} is pending deletion.`),
  notPendingDeletion: (arn: string) => new AwsError('KMSInvalidStateException', `${arn} is not pending deletion.`),
  /** AWS gives no detail for a ciphertext it cannot authenticate (wrong context, altered, foreign). */
  invalidCiphertext: () => new AwsError('InvalidCiphertextException', ''),
  incorrectKey: () => new AwsError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.'),
  aliasExists: (aliasArn: string) => new AwsError('AlreadyExistsException', `An alias with the name ${aliasArn} already exists`),
  aliasPrefix: () => new AwsError('ValidationException', 'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html'),
  /** `alias/aws/` names AWS managed keys' aliases; customers cannot create, change or delete them. */
  reservedAlias: () => new AwsError('NotAuthorizedException', 'Cannot create, update or delete an alias with the reserved prefix alias/aws/'),
  validation: (message: string) => new AwsError('ValidationException', message),
  malformedPolicy: (message: string) => new AwsError('MalformedPolicyDocumentException', message),
  tag: (message: string) => new AwsError('TagException', message),
  awsManaged: (arn: string) => new AwsError('UnsupportedOperationException', `${arn} is an AWS managed key, which customers cannot manage.`),
  unsupported: (message: string) => new AwsError('UnsupportedOperationException', message),
  invalidMarker: () => new AwsError('InvalidMarkerException', 'Invalid marker'),
};
