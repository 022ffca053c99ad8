import { createHash } from 'node:crypto';
import { ValidationException } from '../domain/errors.js';

export interface VpcConfigInput {
  SubnetIds?: string[];
  SecurityGroupIds?: string[];
  Ipv6AllowedForDualStack?: boolean;
}

export interface VpcConfigResponse {
  SubnetIds: string[];
  SecurityGroupIds: string[];
  VpcId: string;
  Ipv6AllowedForDualStack: boolean;
}

/**
 * Lambda's server-side constraints on VpcConfig's ids (not in the published model), with the
 * list-member wording AWS answers (recorded: test_invalid_vpc_config_subnet / _security_group).
 */
const MEMBER_RULES = [
  { path: 'vpcConfig.subnetIds', member: 'SubnetIds', pattern: /^subnet-[0-9a-z]*$/, text: 'subnet-[0-9a-z]*' },
  { path: 'vpcConfig.securityGroupIds', member: 'SecurityGroupIds', pattern: /^sg-[0-9a-zA-Z]*$/, text: 'sg-[0-9a-zA-Z]*' },
] as const;

export function checkVpcConfig(vpc: VpcConfigInput | undefined): void {
  if (!vpc) return;
  const errors: string[] = [];
  for (const rule of MEMBER_RULES) {
    const ids = vpc[rule.member];
    if (!ids) continue;
    if (ids.some((id) => typeof id !== 'string' || id.length > 1024 || !rule.pattern.test(id))) {
      errors.push(
        `Value '[${ids.join(', ')}]' at '${rule.path}' failed to satisfy constraint: Member must satisfy constraint: ` +
          `[Member must have length less than or equal to 1024, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: ${rule.text}]`,
      );
    }
  }
  if (errors.length > 0) {
    const head = errors.length === 1 ? '1 validation error detected: ' : `${errors.length} validation errors detected: `;
    throw new ValidationException(head + errors.join('; '));
  }
}

/**
 * The VpcConfig a function reports. AWS names the VPC its subnets belong to (EC2 DescribeSubnets);
 * Flint has no EC2, so the VpcId is derived from the first subnet id — stable, and the same for the
 * same subnets — and an empty config reports the empty VpcId AWS reports for a function outside a VPC.
 * The ids change nothing at run time: the sandbox's network mode (docs/isolation.md) applies.
 */
export function vpcConfigResponse(vpc: VpcConfigInput): VpcConfigResponse {
  const subnets = vpc.SubnetIds ?? [];
  const groups = vpc.SecurityGroupIds ?? [];
  const vpcId = subnets.length > 0 ? `vpc-${createHash('sha256').update(subnets[0]!).digest('hex').slice(0, 17)}` : '';
  return { SubnetIds: subnets, SecurityGroupIds: groups, VpcId: vpcId, Ipv6AllowedForDualStack: vpc.Ipv6AllowedForDualStack ?? false };
}
