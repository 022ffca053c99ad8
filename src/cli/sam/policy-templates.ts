import { TemplateError } from './template-error.js';

type Statement = Record<string, unknown>;
interface Where { region: string; accountId: string; partition: string }
type Template = { params: string[]; statements: (p: Record<string, string>, w: Where) => Statement[] };

const arn = (w: Where, service: string, resource: string, region = w.region) => `arn:${w.partition}:${service}:${region}:${w.accountId}:${resource}`;
const allow = (Action: string[], Resource: string | string[]): Statement => ({ Effect: 'Allow', Action, Resource });

/**
 * The SAM policy templates people use most, with the statements SAM expands them to (SAM's
 * policy_templates.json, as published). A template not listed here is an error naming the ones
 * that are, rather than a role missing a permission at run time.
 */
const TEMPLATES: Record<string, Template> = {
  LambdaInvokePolicy: { params: ['FunctionName'], statements: (p, w) => [allow(['lambda:InvokeFunction'], arn(w, 'lambda', `function:${p['FunctionName']}*`))] },
  SQSPollerPolicy: {
    params: ['QueueName'],
    statements: (p, w) => [allow(['sqs:ChangeMessageVisibility', 'sqs:ChangeMessageVisibilityBatch', 'sqs:DeleteMessage', 'sqs:DeleteMessageBatch', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'], arn(w, 'sqs', p['QueueName']!))],
  },
  SQSSendMessagePolicy: { params: ['QueueName'], statements: (p, w) => [allow(['sqs:SendMessage*'], arn(w, 'sqs', p['QueueName']!))] },
  DynamoDBCrudPolicy: {
    params: ['TableName'],
    statements: (p, w) => [allow(
      ['dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem', 'dynamodb:DescribeTable', 'dynamodb:ConditionCheckItem'],
      [arn(w, 'dynamodb', `table/${p['TableName']}`), arn(w, 'dynamodb', `table/${p['TableName']}/index/*`)],
    )],
  },
  DynamoDBReadPolicy: {
    params: ['TableName'],
    statements: (p, w) => [allow(
      ['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:DescribeTable'],
      [arn(w, 'dynamodb', `table/${p['TableName']}`), arn(w, 'dynamodb', `table/${p['TableName']}/index/*`)],
    )],
  },
  S3ReadPolicy: {
    params: ['BucketName'],
    statements: (p, w) => [allow(['s3:GetObject', 's3:ListBucket', 's3:GetBucketLocation', 's3:GetObjectVersion', 's3:GetLifecycleConfiguration'], [`arn:${w.partition}:s3:::${p['BucketName']}`, `arn:${w.partition}:s3:::${p['BucketName']}/*`])],
  },
  S3CrudPolicy: {
    params: ['BucketName'],
    statements: (p, w) => [allow(
      ['s3:GetObject', 's3:ListBucket', 's3:GetBucketLocation', 's3:GetObjectVersion', 's3:PutObject', 's3:PutObjectAcl', 's3:GetLifecycleConfiguration', 's3:PutLifecycleConfiguration', 's3:DeleteObject'],
      [`arn:${w.partition}:s3:::${p['BucketName']}`, `arn:${w.partition}:s3:::${p['BucketName']}/*`],
    )],
  },
  SNSPublishMessagePolicy: { params: ['TopicName'], statements: (p, w) => [allow(['sns:Publish'], arn(w, 'sns', p['TopicName']!))] },
  CloudWatchPutMetricPolicy: { params: [], statements: () => [allow(['cloudwatch:PutMetricData'], '*')] },
  SSMParameterReadPolicy: {
    params: ['ParameterName'],
    statements: (p, w) => [allow(['ssm:DescribeParameters'], '*'), allow(['ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParametersByPath'], arn(w, 'ssm', `parameter/${p['ParameterName']}`))],
  },
  KMSDecryptPolicy: { params: ['KeyId'], statements: (p, w) => [allow(['kms:Decrypt'], arn(w, 'kms', `key/${p['KeyId']}`))] },
  KMSEncryptPolicy: { params: ['KeyId'], statements: (p, w) => [allow(['kms:Encrypt'], arn(w, 'kms', `key/${p['KeyId']}`))] },
  AWSSecretsManagerGetSecretValuePolicy: { params: ['SecretArn'], statements: (p) => [allow(['secretsmanager:GetSecretValue'], p['SecretArn']!)] },
  EventBridgePutEventsPolicy: { params: ['EventBusName'], statements: (p, w) => [allow(['events:PutEvents'], arn(w, 'events', `event-bus/${p['EventBusName']}`))] },
  VPCAccessPolicy: {
    params: [],
    statements: () => [allow(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DetachNetworkInterface'], '*')],
  },
  CloudWatchLogsFullAccess: { params: [], statements: () => [allow(['logs:*'], '*')] },
};

export const POLICY_TEMPLATE_NAMES = Object.keys(TEMPLATES);

/** The role pieces a function's `Policies` property stands for. */
export interface FunctionPolicies {
  managedPolicyArns: string[];
  /** Inline policy documents, named as SAM names them (`<Function>RolePolicy<n>`). */
  inline: Array<Record<string, unknown>>;
}

/**
 * `Policies`: a managed policy name or ARN, a policy template `{ Name: { params } }`, an inline
 * document `{ Statement: … }`, or a list of these (SAM's forms).
 */
export function expandPolicies(policies: unknown, where: Where, path: string): FunctionPolicies {
  const out: FunctionPolicies = { managedPolicyArns: [], inline: [] };
  const items = policies === undefined ? [] : Array.isArray(policies) ? policies : [policies];
  items.forEach((item, i) => {
    const at = `${path}[${i}]`;
    if (typeof item === 'string') {
      out.managedPolicyArns.push(item.startsWith('arn:') ? item : `arn:${where.partition}:iam::aws:policy/${managedPath(item)}`);
      return;
    }
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new TemplateError(`${at}: a policy is a managed policy name, a policy template or a policy document`);
    const obj = item as Record<string, unknown>;
    if ('Statement' in obj) {
      out.inline.push({ Version: '2012-10-17', ...obj });
      return;
    }
    const names = Object.keys(obj);
    const template = names.length === 1 ? TEMPLATES[names[0]!] : undefined;
    if (!template) {
      throw new TemplateError(`${at}: unknown SAM policy template ${names.join(', ')}; Flint knows ${POLICY_TEMPLATE_NAMES.join(', ')}`);
    }
    const params = (obj[names[0]!] ?? {}) as Record<string, unknown>;
    for (const p of template.params) {
      if (typeof params[p] !== 'string' || params[p] === '') throw new TemplateError(`${at}.${names[0]}: parameter ${p} is required`);
    }
    out.inline.push({ Version: '2012-10-17', Statement: template.statements(params as Record<string, string>, where) });
  });
  return out;
}

/** AWS managed policy names SAM accepts bare, at their real paths. */
function managedPath(name: string): string {
  const serviceRole = new Set(['AWSLambdaBasicExecutionRole', 'AWSLambdaVPCAccessExecutionRole', 'AWSLambdaSQSQueueExecutionRole', 'AWSLambdaDynamoDBExecutionRole', 'AWSLambdaKinesisExecutionRole', 'AWSLambdaRole']);
  return serviceRole.has(name) ? `service-role/${name}` : name;
}
