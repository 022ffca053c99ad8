import type { AwsServiceDefinition, OperationHandlers } from '../api/api-server.js';
import { SQS_VALIDATION_SKIPS } from '../api/handlers/sqs-handlers.js';

/**
 * The AWS services on Flint's endpoint, by model. Every modelled operation is routed, decoded,
 * validated and authorized; one without a handler answers UnsupportedOperationException naming the
 * operation and service.
 */
export function servedServices(opts: { lambda: AwsServiceDefinition; iam: OperationHandlers; sts: OperationHandlers; kms?: OperationHandlers; config?: OperationHandlers; cloudtrail?: Omit<AwsServiceDefinition, 'model'>; cloudwatch?: OperationHandlers; xray?: OperationHandlers; logs?: OperationHandlers; sqs?: OperationHandlers; events?: OperationHandlers; scheduler?: OperationHandlers }): AwsServiceDefinition[] {
  return [
    // First: the default for requests that carry no credential scope.
    opts.lambda,
    { model: 'iam-2010-05-08', handlers: opts.iam },
    { model: 'sts-2011-06-15', handlers: opts.sts },
    { model: 'kms-2014-11-01', handlers: opts.kms ?? {} },
    { model: 'config-2014-11-12', handlers: opts.config ?? {} },
    { model: 'logs-2014-03-28', handlers: opts.logs ?? {}, validationErrorType: 'InvalidParameterException' },
    { model: 'cloudtrail-2013-11-01', handlers: {}, ...opts.cloudtrail },
    { model: 'cloudwatch-2010-08-01', handlers: opts.cloudwatch ?? {} },
    { model: 'xray-2016-04-12', handlers: opts.xray ?? {} },
    { model: 'sqs-2012-11-05', handlers: opts.sqs ?? {}, validationSkips: SQS_VALIDATION_SKIPS },
    { model: 'events-2015-10-07', handlers: opts.events ?? {} },
    { model: 'scheduler-2021-06-30', handlers: opts.scheduler ?? {} },
  ];
}
