import type { Principal } from '../../domain/principal.js';
import { ActionCatalog, type CatalogAction, type OperationActions } from './action-catalog.js';
import { genericResources } from './generic-resources.js';
import { iamResources } from './iam-resources.js';
import { lambdaResources } from './lambda-resources.js';
import { requestContext, type ConnectionFacts } from './request-context.js';
import type { ContextValues, OperationInput, ResourceEnv, ServiceResources } from './service-resources.js';
import { stsResources } from './sts-resources.js';
import { kmsResources } from './kms-resources.js';
import { sqsResources } from './sqs-resources.js';

/** Services with their own knowledge of how inputs name resources; the rest use the generic rule. */
const SERVICES: Readonly<Record<string, ServiceResources>> = {
  lambda: lambdaResources,
  iam: iamResources,
  sts: stsResources,
  kms: kmsResources,
  sqs: sqsResources,
};

/**
 * Turns a decoded request into what IAM evaluates: the action(s) of the operation, the resource
 * ARN(s) each acts on, and the request context. Pure given the catalog and the environment.
 */
export class RequestResolver {
  readonly catalog: ActionCatalog;
  readonly env: ResourceEnv;

  constructor(env: ResourceEnv, catalog = new ActionCatalog()) {
    this.env = env;
    this.catalog = catalog;
  }

  /** The action(s) a model operation is authorized as; undefined for a service not loaded. */
  actions(service: string, operation: string): OperationActions | undefined {
    return this.catalog.forOperation(service, operation);
  }

  /** The resource ARN(s) the action acts on in this request (`['*']` when none). */
  resources(action: CatalogAction, input: OperationInput, principal: Principal): readonly string[] {
    return (SERVICES[action.prefix] ?? genericResources).resources(action, input, principal, this.env);
  }

  /** The request context for one action of this request. */
  context(action: CatalogAction, input: OperationInput, principal: Principal, connection: ConnectionFacts): ContextValues {
    return requestContext(action, input, principal, connection, this.env, SERVICES[action.prefix] ?? genericResources);
  }
}
