import { LambdaClient } from '@aws-sdk/client-lambda';
import { IAMClient } from '@aws-sdk/client-iam';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';

/** The signed API clients a template deploy goes through (the same calls CloudFormation would make). */
export interface StackClients {
  lambda: LambdaClient;
  iam: IAMClient;
  scheduler: SchedulerClient;
  sqs: SQSClient;
  region: string;
  accountId: string;
  endpoint: string;
  destroy(): void;
}

export function stackClients(opts: {
  endpoint: string;
  region: string;
  accountId: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}): StackClients {
  const common = { endpoint: opts.endpoint, region: opts.region, credentials: opts.credentials, maxAttempts: 2 };
  const lambda = new LambdaClient(common);
  const iam = new IAMClient(common);
  const scheduler = new SchedulerClient(common);
  const sqs = new SQSClient(common);
  return {
    lambda, iam, scheduler, sqs, region: opts.region, accountId: opts.accountId, endpoint: opts.endpoint,
    destroy() {
      for (const c of [lambda, iam, scheduler, sqs]) c.destroy();
    },
  };
}
