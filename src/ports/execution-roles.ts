/**
 * What Lambda asks IAM about an execution role at CreateFunction / UpdateFunctionConfiguration:
 * does it exist, and does its trust policy let `lambda.amazonaws.com` assume it?
 */
export interface ExecutionRoles {
  describeExecutionRole(roleArn: string): 'ok' | 'missing' | 'untrusted';
}
