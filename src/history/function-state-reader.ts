import type { FunctionState } from './configuration-item.js';

/**
 * The control services' read methods the recorder snapshots through, described structurally so
 * this layer does not import src/control (the app hands in FunctionService, AliasService, …).
 */
export interface ControlReaders {
  functions: { getConfiguration(input: { FunctionName: string }): object };
  aliases: { list(input: { FunctionName: string; Marker?: string }): { Aliases: object[]; NextMarker?: string } };
  policies: { getPolicy(input: { FunctionName: string }): { Policy: string } };
  tags: { list(input: { Resource: string }): { Tags: Record<string, string> } };
  concurrency: { get(input: { FunctionName: string }): { ReservedConcurrentExecutions?: number } };
  eventInvokeConfigs: { get(input: { FunctionName: string }): object };
}

/**
 * Fields that describe an observation or a transition in progress, not the configuration: a
 * function turns Pending → Active after CreateFunction without any call, and RevisionId changes
 * with every write already visible elsewhere.
 */
const VOLATILE = new Set(['RevisionId', 'State', 'StateReason', 'StateReasonCode', 'LastUpdateStatus', 'LastUpdateStatusReason', 'LastUpdateStatusReasonCode']);

const isNotFound = (err: unknown) => (err as { type?: string })?.type === 'ResourceNotFoundException';

/**
 * Reads a function's whole state; undefined when the function does not exist (deleted).
 * Environment variable values never enter the history in clear (Flint seals them at rest under
 * the function's KMS key): each is replaced by `fingerprint(value)`, a keyed hash, so a change
 * still shows as a change without the value being recoverable from the metadata store.
 */
export function readFunctionState(r: ControlReaders, functionName: string, fingerprint: (value: string) => string): FunctionState | undefined {
  let configuration: Record<string, unknown>;
  try {
    configuration = { ...(r.functions.getConfiguration({ FunctionName: functionName }) as Record<string, unknown>) };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  for (const k of VOLATILE) delete configuration[k];
  const env = configuration['Environment'] as { Variables?: Record<string, string> } | undefined;
  if (env?.Variables) {
    const variables = Object.fromEntries(Object.entries(env.Variables).map(([k, v]) => [k, `(hidden ${fingerprint(v)})`]));
    configuration['Environment'] = { ...env, Variables: variables };
  }
  const aliases: Array<Record<string, unknown>> = [];
  let marker: string | undefined;
  do {
    const page = r.aliases.list({ FunctionName: functionName, ...(marker ? { Marker: marker } : {}) });
    for (const a of page.Aliases) {
      const { RevisionId: _rev, ...rest } = a as Record<string, unknown>;
      aliases.push(rest);
    }
    marker = page.NextMarker;
  } while (marker);
  const state: FunctionState = { configuration, aliases, tags: {} };
  const policy = orUndefined(() => JSON.parse(r.policies.getPolicy({ FunctionName: functionName }).Policy) as unknown);
  if (policy !== undefined) state.policy = policy;
  const arn = configuration['FunctionArn'];
  if (typeof arn === 'string') state.tags = orUndefined(() => r.tags.list({ Resource: arn }).Tags) ?? {};
  const reserved = r.concurrency.get({ FunctionName: functionName }).ReservedConcurrentExecutions;
  if (reserved !== undefined) state.reservedConcurrentExecutions = reserved;
  const eic = orUndefined(() => r.eventInvokeConfigs.get({ FunctionName: functionName }) as Record<string, unknown>);
  if (eic) {
    const { LastModified: _lm, ...rest } = eic;
    state.eventInvokeConfig = jsonSafe(rest) as Record<string, unknown>;
  }
  return jsonSafe(state) as FunctionState;
}

function orUndefined<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Dates → ISO strings, so a snapshot compares and stores as plain JSON. */
function jsonSafe(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v)) as unknown;
}
