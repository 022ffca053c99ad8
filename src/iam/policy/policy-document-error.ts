/**
 * A policy document IAM would refuse. `message` is IAM's MalformedPolicyDocument text ("Syntax
 * errors in policy.", "Policy statement must contain actions.", …) so a caller can answer with its
 * own service's error type (IAM's MalformedPolicyDocumentException, Lambda's
 * InvalidParameterValueException, STS's MalformedPolicyDocument) and the same words.
 */
export class PolicyDocumentError extends Error {
  /** IAM's error code for every refusal of a policy's grammar. */
  readonly code = 'MalformedPolicyDocument';

  constructor(message: string) {
    super(message);
    this.name = 'PolicyDocumentError';
  }
}
