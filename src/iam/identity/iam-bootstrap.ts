import type { IamServices } from './iam-services.js';

export const QUICK_START_ROLE = 'lambda-role';
const BASIC_EXECUTION = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';

/**
 * First start of a data directory: creates the role the README's quick start names
 * (`--role arn:aws:iam::<acct>:role/lambda-role`), trusted by lambda.amazonaws.com, with
 * AWSLambdaBasicExecutionRole attached. A marker document records that this ran, so a role the
 * user deletes later is not re-created.
 *
 * Why this is safe: the role grants only logs:CreateLogGroup, logs:CreateLogStream and
 * logs:PutLogEvents (what every function needs to write its own logs), only Lambda can assume it,
 * and only a caller allowed iam:PassRole on it can give it to a function. It adds no way to read
 * or change anything else.
 */
export function bootstrapIam(services: IamServices): { created: boolean } {
  const { db } = services.context;
  if (!db.meta.insert('bootstrap', { at: services.context.clock.now(), quickStartRole: QUICK_START_ROLE })) return { created: false };
  if (services.roles.find(QUICK_START_ROLE)) return { created: false };
  services.roles.create({
    RoleName: QUICK_START_ROLE,
    Path: '/',
    Description: 'Created by Flint at first start for the quick start: may write its logs, nothing else.',
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    }),
  });
  services.attachments.attach('role', QUICK_START_ROLE, BASIC_EXECUTION);
  return { created: true };
}
