/** The IAM policy language: parsing, evaluation, and AccessDenied wording. */
export { parsePolicyDocument, type PolicyDocument, type PolicyStatement, type PolicyKind, type PrincipalMap } from './policy-document.js';
export { PolicyDocumentError } from './policy-document-error.js';
export {
  evaluatePolicies,
  type Decision,
  type EvaluationRequest,
  type NamedDocument,
  type PolicySet,
  type PolicyType,
} from './policy-evaluator.js';
export { accessDeniedMessage } from './access-denied-message.js';
export type { RequestPrincipal } from './request-keys.js';
