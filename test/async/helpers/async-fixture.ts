import { mkdtempSync, rmSync } from 'node:fs';
import { StoredFunctionReadModel } from '../../../src/control/stored-function-read-model.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../../src/store/sqlite-metadata-store.js';
import { SqliteEventQueue } from '../../../src/store/sqlite-event-queue.js';
import { InProcessEvents } from '../../../src/app/in-process-events.js';
import { Arns } from '../../../src/domain/function-name.js';
import { COLLECTIONS, key, versionKey } from '../../../src/domain/records.js';
import { FunctionService } from '../../../src/control/function-service.js';
import type { ControlContext } from '../../../src/control/control-context.js';
import type { CodeStore } from '../../../src/ports/code-store.js';
import type { InvokeRequest, InvokeResult, Invoker } from '../../../src/ports/invoker.js';
import { createAsyncInvocation, type AsyncInvocation } from '../../../src/invoke/async/async-invocation.js';
import { AsyncFunctionLookup } from '../../../src/invoke/async/async-function-lookup.js';
import { AsyncEventHandler } from '../../../src/invoke/async/async-event-handler.js';
import { DestinationRouter } from '../../../src/invoke/async/destination-router.js';
import { AsyncInvoker } from '../../../src/invoke/async/async-invoker.js';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const arns = new Arns(REGION, ACCOUNT);

/** An Invoker whose behaviour per function the test decides; it records every call. */
export class FakeInvoker implements Invoker {
  readonly calls: InvokeRequest[] = [];
  readonly behaviours = new Map<string, (req: InvokeRequest, nth: number) => InvokeResult | Promise<InvokeResult>>();

  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    this.calls.push(req);
    const nth = this.calls.filter((c) => c.functionName === req.functionName).length;
    const b = this.behaviours.get(req.functionName) ?? ((r) => ok(r, r.payload));
    return b(req, nth);
  }

  callsTo(name: string): InvokeRequest[] {
    return this.calls.filter((c) => c.functionName === name);
  }
}

export function ok(req: InvokeRequest, payload: Buffer | string): InvokeResult {
  return {
    requestId: req.requestId ?? 'none',
    statusCode: 200,
    payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
    executedVersion: req.qualifier && /^\d+$/.test(req.qualifier) ? req.qualifier : '$LATEST',
    functionArn: arns.function(req.functionName, req.qualifier),
  };
}

export function unhandled(req: InvokeRequest, message = 'intentional failure'): InvokeResult {
  return { ...ok(req, JSON.stringify({ errorMessage: message, errorType: 'Error', requestId: req.requestId, stackTrace: [] })), functionError: 'Unhandled' };
}

export interface Fixture {
  dir: string;
  store: SqliteMetadataStore;
  queue: SqliteEventQueue;
  invoker: FakeInvoker;
  logs: Array<{ level: string; message: string }>;
  clock: { now(): number; monotonic(): number };
  /** The real resolver the server uses for Invoke (FunctionService.resolveInvocationTarget). */
  functions: FunctionService;
  /** Moves the manual clock (only when created with manualClock). */
  advance(ms: number): void;
  addFunction(name: string, opts?: { deadLetterArn?: string; versions?: string[]; aliases?: Record<string, string> }): void;
  putEventInvokeConfig(name: string, qualifier: string, cfg: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number; OnSuccess?: string; OnFailure?: string }): void;
  /** Handler + enqueue side over the manual clock, for step-by-step tests. */
  stepper(timeScale?: number): { handler: AsyncEventHandler; asyncInvoker: AsyncInvoker };
  /** The full async path with real pollers (real timers). */
  pipeline(opts: { timeScale: number; pollers?: number; batchSize?: number; visibilityMs?: number }): AsyncInvocation;
  close(): void;
}

let seq = 0;

export function createFixture(opts: { manualClock?: boolean } = {}): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'flint-async-'));
  const file = join(dir, 'flint.db');
  let t = 1_700_000_000_000;
  const clock = opts.manualClock ? { now: () => t, monotonic: () => t } : { now: () => Date.now(), monotonic: () => performance.now() };
  const store = new SqliteMetadataStore(file);
  const queue = new SqliteEventQueue({ file, clock });
  const invoker = new FakeInvoker();
  const logs: Array<{ level: string; message: string }> = [];
  const log = (level: string, message: string) => { logs.push({ level, message }); };
  const uuid = () => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;
  const ctx = { store, arns, clock, uuid, events: new InProcessEvents(), code: undefined as unknown as CodeStore } satisfies ControlContext;
  const functions = new FunctionService(ctx);

  const versionConfig = (name: string, version: string, dlq?: string) => ({
    config: {
      FunctionName: name,
      FunctionArn: arns.function(name),
      Version: version,
      State: 'Active',
      ...(dlq ? { DeadLetterConfig: { TargetArn: dlq } } : {}),
    },
    codeSha256Hex: '',
    layerSha256Hex: [],
    createdAt: 0,
  });

  const fx: Fixture = {
    dir,
    store,
    queue,
    invoker,
    logs,
    clock,
    functions,
    advance(ms) { t += ms; },
    addFunction(name, o = {}) {
      store.collection(COLLECTIONS.functions).put(name, { name, arn: arns.function(name), createdAt: 0, lastVersion: 0, tags: {} });
      for (const v of ['$LATEST', ...(o.versions ?? [])]) {
        store.collection(COLLECTIONS.functionVersions).put(key(name, versionKey(v)), versionConfig(name, v, o.deadLetterArn));
      }
      for (const [alias, version] of Object.entries(o.aliases ?? {})) {
        store.collection(COLLECTIONS.aliases).put(key(name, alias), { AliasArn: arns.function(name, alias), Name: alias, FunctionVersion: version, Description: '', RevisionId: 'r' });
      }
    },
    putEventInvokeConfig(name, qualifier, cfg) {
      store.collection(COLLECTIONS.eventInvokeConfigs).put(key(name, qualifier), {
        FunctionArn: arns.function(name, qualifier),
        LastModified: 0,
        ...(cfg.MaximumRetryAttempts !== undefined ? { MaximumRetryAttempts: cfg.MaximumRetryAttempts } : {}),
        ...(cfg.MaximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: cfg.MaximumEventAgeInSeconds } : {}),
        DestinationConfig: {
          OnSuccess: cfg.OnSuccess ? { Destination: cfg.OnSuccess } : {},
          OnFailure: cfg.OnFailure ? { Destination: cfg.OnFailure } : {},
        },
      });
    },
    stepper(timeScale = 1) {
      const lookup = new AsyncFunctionLookup(new StoredFunctionReadModel(store));
      const router = new DestinationRouter({ lookup, region: REGION, uuid });
      const handler = new AsyncEventHandler({ queue, invoker, lookup, router, arns, clock, timeScale, log });
      const asyncInvoker = new AsyncInvoker({ queue, targets: functions, clock, uuid });
      return { handler, asyncInvoker };
    },
    pipeline(o) {
      return createAsyncInvocation({
        queue,
        store,
        targets: functions,
        invoker,
        arns,
        clock,
        uuid,
        log,
        timeScale: o.timeScale,
        options: { pollers: o.pollers ?? 2, batchSize: o.batchSize ?? 10, visibilityMs: o.visibilityMs ?? 5_000, idlePollMs: 200, stopGraceMs: 1_000 },
      });
    },
    close() {
      queue.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fx;
}
