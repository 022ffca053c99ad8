/**
 * Typed errors of every AWS service Flint serves. Each names the error shape of its service model
 * (`ResourceNotFoundException`, IAM's `NoSuchEntityException`, …); the wire code (`__type`,
 * x-amzn-ErrorType, or the query protocol's `<Code>` — `NoSuchEntity` for IAM), the HTTP status and
 * the body's message key are decided in one place, the front door's error encoding of each
 * protocol (src/api/protocols/), from the model.
 */
export class AwsError extends Error {
  /** The model's error shape name (or a protocol-level type), e.g. "ResourceNotFoundException". */
  readonly type: string;
  /** Extra members of the error body (e.g. Reason on TooManyRequestsException). */
  readonly fields: Record<string, unknown>;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers: Record<string, string>;
  /** Status override for types the model does not list (auth errors, validation). */
  readonly status: number | undefined;

  constructor(
    type: string,
    message: string,
    opts: { fields?: Record<string, unknown>; headers?: Record<string, string>; status?: number } = {},
  ) {
    super(message);
    this.name = type;
    this.type = type;
    this.fields = opts.fields ?? {};
    this.headers = opts.headers ?? {};
    this.status = opts.status;
  }
}

/** The Lambda API's errors are AwsErrors; the older name stays for the Lambda services. */
export { AwsError as LambdaError };

const typed = (type: string, status?: number) =>
  class extends AwsError {
    constructor(message: string, opts: { fields?: Record<string, unknown>; headers?: Record<string, string> } = {}) {
      super(type, message, { ...opts, status });
    }
  };

export const ResourceNotFoundException = typed('ResourceNotFoundException');
export const ResourceConflictException = typed('ResourceConflictException');
export const ResourceInUseException = typed('ResourceInUseException');
export const InvalidParameterValueException = typed('InvalidParameterValueException');
export const PreconditionFailedException = typed('PreconditionFailedException');
export const PolicyLengthExceededException = typed('PolicyLengthExceededException');
export const ProvisionedConcurrencyConfigNotFoundException = typed('ProvisionedConcurrencyConfigNotFoundException');
export const CodeStorageExceededException = typed('CodeStorageExceededException');
export const RequestTooLargeException = typed('RequestTooLargeException');
export const InvalidRequestContentException = typed('InvalidRequestContentException');
export const UnsupportedMediaTypeException = typed('UnsupportedMediaTypeException');
export const ServiceException = typed('ServiceException');
export const TooManyRequestsException = typed('TooManyRequestsException');
export const InvalidZipFileException = typed('InvalidZipFileException');
export const InvalidRuntimeException = typed('InvalidRuntimeException');
export const ResourceNotReadyException = typed('ResourceNotReadyException');
export const EC2ThrottledException = typed('EC2ThrottledException');
/** Not in the Lambda model: the JSON protocol's generic validation failure. */
export const ValidationException = typed('ValidationException', 400);
/** Request body larger than the operation allows (API Gateway-level 413 in AWS). */
export const RequestEntityTooLargeException = typed('RequestEntityTooLargeException', 413);
/** Any path or operation Flint does not serve. */
export const UnknownOperationException = typed('UnknownOperationException', 404);
export const UnsupportedOperationException = typed('UnsupportedOperationException', 501);

// Authentication failures, with the statuses AWS's front door uses.
export const MissingAuthenticationTokenException = typed('MissingAuthenticationTokenException', 403);
export const IncompleteSignatureException = typed('IncompleteSignatureException', 400);
export const UnrecognizedClientException = typed('UnrecognizedClientException', 403);
export const InvalidSignatureException = typed('InvalidSignatureException', 403);
export const AccessDeniedException = typed('AccessDeniedException', 403);
/** A session token past its expiry (STS-issued or an execution environment's). */
export const ExpiredTokenException = typed('ExpiredTokenException', 403);
