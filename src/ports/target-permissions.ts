/**
 * What the schedules ask IAM and Lambda before they invoke a function: Scheduler acts as its
 * target's execution role, EventBridge rules through the function's resource-based policy.
 */
export interface TargetPermissions {
  /**
   * Scheduler: the role exists, its trust policy lets `scheduler.amazonaws.com` assume it, and its
   * policies allow `lambda:InvokeFunction` on the function. Undefined when allowed, else why not.
   */
  roleDenial(roleArn: string, functionArn: string): string | undefined;
  /**
   * EventBridge rules: the function's resource policy allows `service` (`events.amazonaws.com`) to
   * `lambda:InvokeFunction` it, with its conditions on `AWS:SourceArn` / `AWS:SourceAccount`.
   */
  servicePermitted(functionArn: string, service: string, sourceArn: string, sourceAccount: string): boolean;
}
