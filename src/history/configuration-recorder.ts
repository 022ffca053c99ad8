import type { Clock } from '../ports/clock.js';
import type { ControlPlaneCall } from '../ports/audit-log.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { LAMBDA_FUNCTION, type ConfigurationItem, type FunctionState } from './configuration-item.js';

/** The newest item of one function, kept beside the history so a change check is one read. */
interface Head {
  seq: number;
  state: string | null;
  createdAt: number;
  deletedAt?: number;
}

export interface HistoryQuery {
  resourceId: string;
  /** Epoch ms, inclusive bounds (AWS Config: items captured between earlierTime and laterTime). */
  earlierTime?: number;
  laterTime?: number;
  /** AWS Config's default is Reverse: newest first. */
  chronologicalOrder?: 'Reverse' | 'Forward';
  limit: number;
  /** Opaque: the sequence to continue after. */
  after?: number;
}

export interface DiscoveredResource {
  resourceId: string;
  resourceName: string;
  /** Epoch ms; only for deleted resources. */
  resourceDeletionTime?: number;
}

/** Lambda writes that may change a function; reads and invokes cannot. */
const NOT_A_CHANGE = /^(Get|List|Invoke)/;

const seqKey = (seq: number) => seq.toString().padStart(12, '0');

/**
 * AWS Config's configuration recorder for Lambda functions: after each successful Lambda write
 * the front door reports, snapshots the named function and stores a ConfigurationItem when the
 * snapshot differs from the function's last one (AWS Config records on change, not on call).
 */
export class ConfigurationRecorder {
  readonly #store: MetadataStore;
  readonly #clock: Clock;
  readonly #read: (functionName: string) => FunctionState | undefined;
  readonly #account: string;
  readonly #region: string;

  constructor(opts: { store: MetadataStore; clock: Clock; read: (functionName: string) => FunctionState | undefined; accountId: string; region: string }) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#read = opts.read;
    this.#account = opts.accountId;
    this.#region = opts.region;
  }

  get #items() {
    return this.#store.collection<ConfigurationItem>('config-history');
  }

  get #heads() {
    return this.#store.collection<Head>('config-history-head');
  }

  /** The front door's `onCall` listener. Recording never fails the call it follows. */
  onCall(call: ControlPlaneCall): void {
    if (call.service !== 'lambda' || call.status >= 300 || NOT_A_CHANGE.test(call.operation)) return;
    const name = functionNameOf(call.input);
    if (name === undefined) return;
    this.record(name, [call.requestId]);
  }

  /** Snapshots `functionName` and stores an item if its state changed; returns the item stored. */
  record(functionName: string, relatedEvents: string[] = []): ConfigurationItem | undefined {
    return this.#store.transaction(() => {
      const head = this.#heads.get(functionName);
      const state = this.#read(functionName);
      const text = state === undefined ? null : JSON.stringify(state);
      if (head ? head.state === text : text === null) return undefined;
      const now = this.#clock.now();
      // A name reused after deletion is a new resource in AWS Config: discovered again.
      const fresh = !head || head.state === null;
      const seq = (head?.seq ?? 0) + 1;
      const createdAt = fresh ? now : head.createdAt;
      const item: ConfigurationItem = {
        version: '1.3',
        accountId: this.#account,
        configurationItemCaptureTime: now,
        configurationItemStatus: text === null ? 'ResourceDeleted' : fresh ? 'ResourceDiscovered' : 'OK',
        configurationStateId: `${now}${seqKey(seq).slice(-4)}`,
        arn: `arn:aws:lambda:${this.#region}:${this.#account}:function:${functionName}`,
        resourceType: LAMBDA_FUNCTION,
        resourceId: functionName,
        resourceName: functionName,
        awsRegion: this.#region,
        configuration: text,
        relatedEvents,
        tags: state?.tags ?? {},
        resourceCreationTime: createdAt,
      };
      this.#items.put(`${functionName}\u0000${seqKey(seq)}`, item);
      this.#heads.put(functionName, { seq, state: text, createdAt, ...(text === null ? { deletedAt: now } : {}) });
      return item;
    });
  }

  /** Whether Flint has ever recorded this function (AWS Config: ResourceNotDiscoveredException otherwise). */
  known(functionName: string): boolean {
    return this.#heads.get(functionName) !== undefined;
  }

  history(q: HistoryQuery): { items: ConfigurationItem[]; next?: number } {
    const all = this.#items.list(`${q.resourceId}\u0000`).map(({ key, value }) => ({ seq: Number(key.slice(key.indexOf('\u0000') + 1)), item: value }));
    const forward = q.chronologicalOrder === 'Forward';
    const ordered = forward ? all : all.reverse();
    const inRange = ordered.filter(({ seq, item }) => {
      const t = item.configurationItemCaptureTime;
      if (q.earlierTime !== undefined && t < q.earlierTime) return false;
      if (q.laterTime !== undefined && t > q.laterTime) return false;
      if (q.after !== undefined && (forward ? seq <= q.after : seq >= q.after)) return false;
      return true;
    });
    const page = inRange.slice(0, q.limit);
    const more = inRange.length > q.limit;
    return { items: page.map((p) => p.item), ...(more ? { next: page[page.length - 1]!.seq } : {}) };
  }

  discovered(opts: { includeDeleted: boolean; resourceIds?: string[]; resourceName?: string }): DiscoveredResource[] {
    const out: DiscoveredResource[] = [];
    for (const { key, value } of this.#heads.list()) {
      if (value.state === null && !opts.includeDeleted) continue;
      if (opts.resourceIds && !opts.resourceIds.includes(key)) continue;
      if (opts.resourceName !== undefined && opts.resourceName !== key) continue;
      out.push({ resourceId: key, resourceName: key, ...(value.state === null && value.deletedAt !== undefined ? { resourceDeletionTime: value.deletedAt } : {}) });
    }
    return out;
  }
}

/** The function a Lambda call addressed: FunctionName in any form, or the ARN of TagResource & co. */
export function functionNameOf(input: Record<string, unknown>): string | undefined {
  const raw = input['FunctionName'] ?? input['Resource'];
  if (typeof raw !== 'string') return undefined;
  const arn = /^arn:[^:]*:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(raw);
  if (arn) return arn[1];
  if (raw.startsWith('arn:')) return undefined;
  // `name`, `name:qualifier`, `account:function:name[:qualifier]`.
  const parts = raw.split(':');
  const fi = parts.indexOf('function');
  return fi >= 0 ? parts[fi + 1] : parts[0];
}
