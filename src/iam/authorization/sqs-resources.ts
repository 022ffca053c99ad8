import { resourcesOf, str, type ServiceResources } from './service-resources.js';

/**
 * SQS: requests name their queue by QueueUrl (`…/<account>/<name>`), CreateQueue and GetQueueUrl
 * by QueueName (with QueueOwnerAWSAccountId); each is authorized on the queue ARN
 * `arn:aws:sqs:<region>:<account>:<name>`, where the queue's Policy applies as its resource policy.
 */
export const sqsResources: ServiceResources = {
  resources(action, input, _principal, env) {
    return resourcesOf(action, (t) => {
      if (t.name !== 'queue') return undefined;
      let account = str(input.QueueOwnerAWSAccountId) ?? env.accountId;
      let name = str(input.QueueName);
      const url = str(input.QueueUrl);
      if (url) {
        const parts = pathOf(url).split('/').filter((p) => p !== '');
        name = parts[parts.length - 1];
        if (parts.length >= 2) account = parts[parts.length - 2]!;
      }
      return name ? `arn:${env.partition}:sqs:${env.region}:${account}:${name}` : undefined;
    });
  },
  context() {
    // SQS defines no service condition keys beyond the global ones.
  },
};

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
