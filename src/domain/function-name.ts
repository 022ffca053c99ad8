import { InvalidParameterValueException, ResourceNotFoundException } from './errors.js';

export interface FunctionRef {
  name: string;
  /** Qualifier derived from the name/ARN (`fn:alias`, `arn:...:function:fn:1`), if any. */
  qualifier?: string;
}

/**
 * Parses the forms Lambda accepts for a function: `name`, `name:qualifier`, the full ARN
 * `arn:aws:lambda:region:account:function:name[:qualifier]`, and the partial ARN
 * `account:function:name[:qualifier]`. An ARN from another region is not reachable (404), as in AWS.
 */
export function parseFunctionName(input: string, region: string): FunctionRef {
  const parts = input.split(':');
  if (parts[0] === 'arn') {
    // arn:partition:lambda:region:account:function:name[:qualifier]
    const arnRegion = parts[3] ?? '';
    if (arnRegion && arnRegion !== region) {
      throw new ResourceNotFoundException(`Functions from '${arnRegion}' are not reachable in this region ('${region}')`);
    }
    return ref(parts[6] ?? '', parts[7]);
  }
  if (parts.length >= 3 && parts[1] === 'function') return ref(parts[2]!, parts[3]);
  if (parts.length >= 4 && parts[2] === 'function') {
    // region:account:function:name[:qualifier]
    if (parts[0] !== region) throw new ResourceNotFoundException(`Functions from '${parts[0]}' are not reachable in this region ('${region}')`);
    return ref(parts[3]!, parts[4]);
  }
  return ref(parts[0]!, parts[1]);
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
