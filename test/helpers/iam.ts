import { IAMClient, CreateRoleCommand } from '@aws-sdk/client-iam';
import { TEST_CREDENTIALS } from './flint-harness.js';

/** Creates an execution role that trusts Lambda (through Flint's IAM API, as root); returns its ARN. */
export async function createLambdaRole(endpoint: string, name: string): Promise<string> {
  const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  try {
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
    const r = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }));
    return r.Role!.Arn!;
  } finally {
    iam.destroy();
  }
}
