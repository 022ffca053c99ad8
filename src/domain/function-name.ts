import { AccessDeniedException, InvalidParameterValueException, ResourceNotFoundException } from './errors.js';

export interface FunctionRef {
  name: string;
  /** Qualifier derived from the name/ARN (`fn:alias`, `arn:...:function:fn:1`), if any. */
  qualifier?: string;
}

/**
 * The forms Lambda accepts for a function, as its API model's FunctionName pattern spells them:
 * `name`, `name:qualifier`, `function:name`, `account:function:name[:qualifier]`,
 * `region:account:function:name[:qualifier]` and the full ARN. Groups: region, account, name, qualifier.
 */
const FUNCTION_REF =
  /^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:((?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9\-_.]+)(?::(\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9\-_]+))?$/;

/**
 * Parses a function name in any form Lambda accepts (see FUNCTION_REF). An ARN from another region
 * is not reachable (404 "Functions from 'x' are not reachable in this region ('y')"), as in AWS; an
 * ARN of another account is refused (AWS answers AccessDeniedException: the caller has no grant
 * there). Input the front door let through that still does not match is taken as a plain name, so
 * the lookup that follows reports it as not found.
 */
export function parseFunctionName(input: string, region: string, accountId?: string): FunctionRef {
  const m = FUNCTION_REF.exec(input);
  if (!m) return { name: input };
  const [, arnRegion, account, name, qualifier] = m;
  if (arnRegion !== undefined && arnRegion !== region) {
    throw new ResourceNotFoundException(`Functions from '${arnRegion}' are not reachable in this region ('${region}')`);
  }
  if (account !== undefined && accountId !== undefined && account !== accountId) {
    throw new AccessDeniedException(`Cross-account access is not supported: function ${name} is in account ${account}, this endpoint serves account ${accountId}.`);
  }
  return ref(name!, qualifier);
}

function ref(name: string, qualifier: string | undefined): FunctionRef {
  return qualifier === undefined || qualifier === '' ? { name } : { name, qualifier };
}

/**
 * Combines the qualifier in the name with an explicit Qualifier parameter; a mismatch is an error
 * in AWS ("The derived qualifier from the function name does not match the specified qualifier.").
 */
export function resolveQualifier(fn: FunctionRef, explicit: string | undefined): string | undefined {
  if (fn.qualifier !== undefined && explicit !== undefined && fn.qualifier !== explicit) {
    throw new InvalidParameterValueException('The derived qualifier from the function name does not match the specified qualifier.');
  }
  return explicit ?? fn.qualifier;
}

export class Arns {
  readonly region: string;
  readonly accountId: string;
  readonly partition = 'aws';

  constructor(region: string, accountId: string) {
    this.region = region;
    this.accountId = accountId;
  }

  function(name: string, qualifier?: string): string {
    return `arn:${this.partition}:lambda:${this.region}:${this.accountId}:function:${name}${qualifier ? ':' + qualifier : ''}`;
  }

  layer(name: string, version?: number): string {
    return `arn:${this.partition}:lambda:${this.region}:${this.accountId}:layer:${name}${version !== undefined ? ':' + version : ''}`;
  }

  /** The execution role's assumed-role principal, used for environment credentials. */
  rootPrincipal(): string {
    return `arn:${this.partition}:iam::${this.accountId}:root`;
  }
}
