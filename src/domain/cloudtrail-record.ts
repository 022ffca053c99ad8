/**
 * One audit record in CloudTrail's event format (record contents, version 1.09): what an auditor
 * reads in `CloudTrailEvent` from LookupEvents and what the hash chain covers, byte for byte.
 */
export interface CloudTrailRecord {
  eventVersion: string;
  userIdentity: CloudTrailUserIdentity;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  /** Flint keeps the HTTP status here (CloudTrail's free-form member for service-specific data). */
  additionalEventData?: Record<string, unknown>;
  requestID: string;
  eventID: string;
  readOnly: boolean;
  resources?: Array<{ accountId: string; type: string; ARN: string }>;
  eventType: 'AwsApiCall' | 'AwsServiceEvent';
  managementEvent: boolean;
  recipientAccountId: string;
  eventCategory: 'Management' | 'Data';
}

/** CloudTrail's `userIdentity`: who made the call, and with which key. */
export interface CloudTrailUserIdentity {
  type: 'Root' | 'IAMUser' | 'AssumedRole' | 'AWSService';
  principalId?: string;
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
  userName?: string;
  /** AWSService identities: the service that acted (`lambda.amazonaws.com`). */
  invokedBy?: string;
  sessionContext?: {
    sessionIssuer?: { type: 'Role'; principalId: string; arn: string; accountId: string; userName: string };
    attributes: { creationDate: string; mfaAuthenticated: 'false' };
  };
}

/** The name LookupEvents reports as `Username`: the user, the role session, `root`, or the service. */
export function lookupUsername(identity: CloudTrailUserIdentity): string | undefined {
  switch (identity.type) {
    case 'Root':
      return 'root';
    case 'IAMUser':
      return identity.userName;
    case 'AssumedRole':
      return identity.arn?.split('/').pop();
    case 'AWSService':
      return identity.invokedBy;
  }
}
