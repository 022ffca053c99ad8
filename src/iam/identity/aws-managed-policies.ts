import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** One AWS managed policy as IAM serves it: read-only, at its real ARN, with its default version. */
export interface AwsManagedPolicy {
  PolicyName: string;
  PolicyId: string;
  Arn: string;
  Path: string;
  DefaultVersionId: string;
  CreateDate: Date;
  UpdateDate: Date;
  /** The default version's document, as JSON text. */
  document: string;
}

interface Entry {
  PolicyName: string;
  Path: string;
  DefaultVersionId: string;
  CreateDate: string;
  UpdateDate: string;
  Document: unknown;
}

/**
 * AWS managed policies Flint serves, at `arn:aws:iam::aws:policy<path><name>`, with their current
 * default documents copied from AWS's Managed Policy Reference (aws-managed-policies.json, data).
 * Their PolicyIds are not published per policy; a stable id is derived from the name.
 */
export class AwsManagedPolicies {
  readonly #byArn = new Map<string, AwsManagedPolicy>();

  constructor(entries: Entry[] = loadEntries()) {
    for (const e of entries) {
      const arn = `arn:aws:iam::aws:policy${e.Path}${e.PolicyName}`;
      const digest = createHash('sha256').update(e.PolicyName).digest();
      let id = 'ANPA';
      for (let i = 0; i < 17; i++) id += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[digest[i]! % 32];
      this.#byArn.set(arn, {
        PolicyName: e.PolicyName,
        PolicyId: id,
        Arn: arn,
        Path: e.Path,
        DefaultVersionId: e.DefaultVersionId,
        CreateDate: new Date(e.CreateDate),
        UpdateDate: new Date(e.UpdateDate),
        document: JSON.stringify(e.Document),
      });
    }
  }

  get(arn: string): AwsManagedPolicy | undefined {
    return this.#byArn.get(arn);
  }

  all(): AwsManagedPolicy[] {
    return [...this.#byArn.values()];
  }
}

function loadEntries(): Entry[] {
  // Read from the source tree from src/ and dist/ alike (the service models are read the same way).
  return JSON.parse(readFileSync(new URL('../../../src/iam/identity/aws-managed-policies.json', import.meta.url), 'utf8')) as Entry[];
}
