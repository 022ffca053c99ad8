import { ValidationException } from '../domain/errors.js';

/**
 * Lambda validates layer runtimes against its own internal runtime enum, not the published model's,
 * and words the errors differently per operation. Both lists below are copied, in AWS's (hash-set)
 * order, from recorded AWS responses (January 2026).
 */

/** The enum ListLayers/ListLayerVersions print for a bad `CompatibleRuntime`; also what they accept. */
const INTERNAL_RUNTIMES = [
  'ruby3.5', 'ruby2.6', 'dotnetcore1.0', 'python3.7', 'nodejs8.10', 'nasa', 'ruby2.7', 'python2.7-greengrass',
  'dotnetcore2.0', 'python3.8', 'java21', 'dotnet6', 'dotnetcore2.1', 'python3.9', 'java11', 'nodejs6.10',
  'provided', 'dotnetcore3.1', 'dotnet8', 'java25', 'java17', 'nodejs', 'nodejs4.3', 'java8.al2', 'go1.x',
  'dotnet10', 'nodejs20.x', 'go1.9', 'byol', 'nodejs10.x', 'provided.al2023', 'nodejs22.x', 'python3.10',
  'java8', 'nodejs12.x', 'python3.11', 'nodejs24.x', 'nodejs8.x', 'python3.12', 'nodejs14.x', 'nodejs8.9',
  'nodejs26.x', 'python3.13', 'python3.14', 'nodejs16.x', 'python3.15', 'provided.al2', 'nodejs4.3-edge',
  'nodejs18.x', 'ruby3.2', 'python3.4', 'ruby3.3', 'ruby3.4', 'ruby2.5', 'python3.6', 'python2.7',
];

/**
 * The runtimes PublishLayerVersion names in its error (the currently supported ones). Publishing
 * still accepts deprecated runtimes such as python3.7 or go1.x (recorded), so acceptance uses the
 * internal enum plus the model's newer entries.
 */
const PUBLISH_MESSAGE_RUNTIMES = [
  'nodejs20.x', 'python3.14', 'provided.al2023', 'python3.12', 'python3.13', 'nodejs24.x', 'nodejs22.x',
  'java25', 'python3.10', 'python3.11', 'java21', 'ruby3.3', 'ruby3.4', 'ruby3.2', 'python3.8', 'python3.9',
  'java17', 'nodejs16.x', 'dotnet10', 'dotnet8', 'java11', 'dotnet6', 'nodejs18.x', 'provided.al2', 'java8.al2',
];

const ACCEPTED_RUNTIMES = new Set([...INTERNAL_RUNTIMES, 'ruby4.0']);
const ARCHITECTURES = ['x86_64', 'arm64'];

/** PublishLayerVersion: every problem with CompatibleRuntimes and CompatibleArchitectures, in one ValidationException. */
export function validatePublishCompatibility(runtimes: string[] | undefined, architectures: string[] | undefined): void {
  const errors: string[] = [];
  if (runtimes !== undefined) {
    const head = `Value '[${runtimes.join(', ')}]' at 'compatibleRuntimes' failed to satisfy constraint: `;
    if (runtimes.length > 15) errors.push(head + 'Member must have length less than or equal to 15');
    else if (runtimes.some((r) => !ACCEPTED_RUNTIMES.has(r))) {
      errors.push(head + `Member must satisfy enum value set: [${PUBLISH_MESSAGE_RUNTIMES.join(', ')}]`);
    }
  }
  if (architectures !== undefined) {
    const head = `Value '[${architectures.join(', ')}]' at 'compatibleArchitectures' failed to satisfy constraint: `;
    if (architectures.length > 2) errors.push(head + 'Member must have length less than or equal to 2');
    else if (architectures.some((a) => !ARCHITECTURES.includes(a))) {
      errors.push(head + `Member must satisfy constraint: [Member must satisfy enum value set: [${ARCHITECTURES.join(', ')}], Member must not be null]`);
    }
  }
  throwIfAny(errors);
}

/** ListLayers / ListLayerVersions filters. */
export function validateListFilters(runtime: string | undefined, architecture: string | undefined): void {
  const errors: string[] = [];
  if (runtime !== undefined && !INTERNAL_RUNTIMES.includes(runtime)) {
    errors.push(`Value '${runtime}' at 'compatibleRuntime' failed to satisfy constraint: Member must satisfy enum value set: [${INTERNAL_RUNTIMES.join(', ')}]`);
  }
  if (architecture !== undefined && !ARCHITECTURES.includes(architecture)) {
    errors.push(`Value '${architecture}' at 'compatibleArchitecture' failed to satisfy constraint: Member must satisfy enum value set: [${ARCHITECTURES.join(', ')}]`);
  }
  throwIfAny(errors);
}

function throwIfAny(errors: string[]): void {
  if (errors.length === 0) return;
  const head = errors.length === 1 ? '1 validation error detected: ' : `${errors.length} validation errors detected: `;
  throw new ValidationException(head + errors.join('; '));
}
