import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The Lambda Extensions API (2020-01-01) of one execution environment, beside its Runtime API:
 * register, event/next (long poll), init/error and exit/error, and the environment's side of the
 * lifecycle (INVOKE and SHUTDOWN events, waiting for every extension to be back in next).
 *
 * Error types and messages follow AWS's runtime emulator (rapid): 403 with
 * `Extension.UnknownExtensionIdentifier` ("Unknown extension <id>"), `Extension.MissingHeader`,
 * `Extension.RegistrationClosed` (register after init), `Extension.InvalidExtensionState`
 * (a name registered twice), `Extension.InvalidEventType`, `Extension.TooManyExtensions`.
 *
 * A registration whose name is not one of the started /opt/extensions executables is an internal
 * extension (the runtime process registered it, in-process or from an AWS_LAMBDA_EXEC_WRAPPER
 * script). As in rapid, internal extensions may not subscribe to SHUTDOWN: they are started and
 * stopped by the runtime process.
 */
export const EXTENSIONS_PREFIX = '/2020-01-01/extension/';

export type ExtensionEventType = 'INVOKE' | 'SHUTDOWN';
/** Lambda's limit on extensions per function, external and internal together. */
export const MAX_EXTENSIONS = 10;
export type ShutdownReason = 'spindown' | 'timeout' | 'failure';

export interface InvokeEventInput {
  requestId: string;
  deadlineMs: number;
  invokedFunctionArn: string;
  traceId: string;
}

export interface ExtensionFunctionInfo {
  functionName: string;
  functionVersion: string;
  handler: string;
  accountId: string;
}

/** What the environment hears from its extensions. */
export interface ExtensionsListener {
  /** Some extension's state changed (registered, in next, errored): the environment re-checks. */
  changed(): void;
  /** An extension called next for the first time (Lambda's platform.extension record, state Ready). */
  ready?(e: { name: string; internal: boolean; events: ExtensionEventType[] }): void;
}

interface Extension {
  readonly id: string;
  readonly name: string;
  /** Registered by the runtime process, not started from /opt/extensions. */
  readonly internal: boolean;
  readonly events: ReadonlySet<ExtensionEventType>;
  /** The pending GET next, if the extension waits in it. */
  waiter: { res: ServerResponse; closed: boolean } | undefined;
  /** Events dispatched while it was not waiting, delivered at its next call. */
  queue: object[];
  /** Called next at least once (its init is done). */
  ready: boolean;
  /** An error type it reported through init/error or exit/error. */
  error: { kind: 'init' | 'exit'; errorType: string } | undefined;
}

export class ExtensionsApi {
  readonly #info: ExtensionFunctionInfo;
  readonly #external: ReadonlySet<string>;
  readonly #byId = new Map<string, Extension>();
  #listener: ExtensionsListener | undefined;
  #registrationOpen = true;

  /** `externalNames`: the executables started from /opt/extensions; any other name is internal. */
  constructor(info: ExtensionFunctionInfo, externalNames: Iterable<string> = []) {
    this.#info = info;
    this.#external = new Set(externalNames);
  }

  listen(listener: ExtensionsListener): void {
    this.#listener = listener;
  }

  get registered(): number {
    return this.#byId.size;
  }

  /** Registered internal extensions (the runtime process's own). */
  get internalCount(): number {
    let n = 0;
    for (const e of this.#byId.values()) if (e.internal) n++;
    return n;
  }

  /** Registered external extensions. */
  get externalCount(): number {
    return this.#byId.size - this.internalCount;
  }

  /** Whether `name` has registered. */
  isRegistered(name: string): boolean {
    for (const e of this.#byId.values()) if (e.name === name) return true;
    return false;
  }

  /** Extensions that called next at least once. */
  get readyCount(): number {
    let n = 0;
    for (const e of this.#byId.values()) if (e.ready) n++;
    return n;
  }

  /** Names of the extensions that called next at least once. */
  get readyNames(): Set<string> {
    const names = new Set<string>();
    for (const e of this.#byId.values()) if (e.ready) names.add(e.name);
    return names;
  }

  /** The first error an extension reported (init/error or exit/error), if any. */
  get reportedError(): { name: string; kind: 'init' | 'exit'; errorType: string } | undefined {
    for (const e of this.#byId.values()) if (e.error) return { name: e.name, ...e.error };
    return undefined;
  }

  /** The error `name` reported through init/error or exit/error, if any. */
  errorOf(name: string): { kind: 'init' | 'exit'; errorType: string } | undefined {
    for (const e of this.#byId.values()) if (e.name === name) return e.error;
    return undefined;
  }

  /** Lambda accepts registrations only during Init. */
  closeRegistration(): void {
    this.#registrationOpen = false;
  }

  /** True when every extension subscribed to `type` waits in next with nothing queued. */
  idle(type: ExtensionEventType = 'INVOKE'): boolean {
    for (const e of this.#byId.values()) {
      if (!e.events.has(type)) continue;
      if (e.queue.length > 0 || !e.waiter || e.waiter.closed) return false;
    }
    return true;
  }

  /** Sends INVOKE to every subscriber (delivered at once to those waiting in next). */
  invoke(ev: InvokeEventInput): void {
    this.#broadcast('INVOKE', {
      eventType: 'INVOKE',
      deadlineMs: ev.deadlineMs,
      requestId: ev.requestId,
      invokedFunctionArn: ev.invokedFunctionArn,
      tracing: { type: 'X-Amzn-Trace-Id', value: ev.traceId },
    });
  }

  /** Sends SHUTDOWN with its reason and deadline; returns whether anyone subscribed. */
  shutdown(reason: ShutdownReason, deadlineMs: number): boolean {
    return this.#broadcast('SHUTDOWN', { eventType: 'SHUTDOWN', shutdownReason: reason, deadlineMs }) > 0;
  }

  /** Whether any extension subscribed to SHUTDOWN. */
  get shutdownSubscribers(): number {
    let n = 0;
    for (const e of this.#byId.values()) if (e.events.has('SHUTDOWN')) n++;
    return n;
  }

  /** Serves a request under /2020-01-01/extension/; false when the path is not this API's. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = (req.url ?? '').split('?')[0]!;
    if (!url.startsWith(EXTENSIONS_PREFIX)) return false;
    const path = url.slice(EXTENSIONS_PREFIX.length);
    if (path === 'register' && req.method === 'POST') return this.#withBody(req, res, (body) => this.#register(req, res, body)), true;
    if (path === 'event/next' && req.method === 'GET') return this.#next(req, res), true;
    if ((path === 'init/error' || path === 'exit/error') && req.method === 'POST') {
      return this.#withBody(req, res, () => this.#error(req, res, path === 'init/error' ? 'init' : 'exit')), true;
    }
    req.resume();
    send(res, 404, { errorMessage: `Flint's Extensions API does not serve ${req.method} ${url}`, errorType: 'NotFound' });
    return true;
  }

  /** The extension a request names in Lambda-Extension-Identifier, or the refusal already sent. */
  extensionOf(req: IncomingMessage, res: ServerResponse): { id: string; name: string } | undefined {
    const e = this.#identify(req, res);
    return e ? { id: e.id, name: e.name } : undefined;
  }

  #withBody(req: IncomingMessage, res: ServerResponse, then: (body: Buffer) => void): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => then(Buffer.concat(chunks)));
    req.on('error', () => res.destroy());
  }

  #register(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const name = header(req, 'lambda-extension-name');
    if (!name) return send(res, 403, { errorMessage: 'Empty extension name', errorType: 'Extension.InvalidExtensionName' });
    let list: unknown[];
    try {
      const doc = JSON.parse(body.toString() || '{}') as { events?: unknown };
      list = Array.isArray(doc.events) ? doc.events : [];
    } catch (err) {
      return send(res, 403, { errorMessage: (err as Error).message, errorType: 'InvalidRequestFormat' });
    }
    const internal = !this.#external.has(name);
    for (const t of list) {
      // rapid's refusals: an unknown event type, and SHUTDOWN from an internal extension.
      if (t !== 'INVOKE' && t !== 'SHUTDOWN') return send(res, 403, { errorMessage: `${String(t)}: ErrorInvalidEventType`, errorType: 'Extension.InvalidEventType' });
      if (t === 'SHUTDOWN' && internal) return send(res, 403, { errorMessage: 'SHUTDOWN: ShutdownEventNotSupportedForInternalExtension', errorType: 'Extension.InvalidEventType' });
    }
    if (!this.#registrationOpen) return send(res, 403, { errorMessage: 'Extension registration closed already', errorType: 'Extension.RegistrationClosed' });
    if (this.isRegistered(name)) return send(res, 403, { errorMessage: 'Extension with this name already registered', errorType: 'Extension.InvalidExtensionState' });
    if (this.#byId.size >= MAX_EXTENSIONS) return send(res, 403, { errorMessage: `Extension limit (${MAX_EXTENSIONS}) reached`, errorType: 'Extension.TooManyExtensions' });
    const events = list as ExtensionEventType[];
    const ext: Extension = { id: randomUUID(), name, internal, events: new Set(events), waiter: undefined, queue: [], ready: false, error: undefined };
    this.#byId.set(ext.id, ext);
    const i = this.#info;
    // The account id is returned only to extensions that ask for it (Lambda-Extension-Accept-Feature: accountId).
    const accept = (header(req, 'lambda-extension-accept-feature') ?? '').split(',').map((s) => s.trim());
    const reply = { functionName: i.functionName, functionVersion: i.functionVersion, handler: i.handler, ...(accept.includes('accountId') ? { accountId: i.accountId } : {}) };
    const text = JSON.stringify(reply);
    res.writeHead(200, { 'content-type': 'application/json', 'lambda-extension-identifier': ext.id, 'content-length': Buffer.byteLength(text) });
    res.end(text);
    this.#listener?.changed();
  }

  #next(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const ext = this.#identify(req, res);
    if (!ext) return;
    if (ext.waiter && !ext.waiter.closed) return send(res, 403, { errorMessage: 'Extension is already waiting for an event', errorType: 'Extension.InvalidExtensionState' });
    const waiter = { res, closed: false };
    res.on('close', () => { waiter.closed = true; });
    if (!ext.ready) {
      ext.ready = true;
      this.#listener?.ready?.({ name: ext.name, internal: ext.internal, events: [...ext.events] });
    }
    const queued = ext.queue.shift();
    if (queued) {
      deliver(res, queued);
    } else {
      ext.waiter = waiter;
    }
    this.#listener?.changed();
  }

  #error(req: IncomingMessage, res: ServerResponse, kind: 'init' | 'exit'): void {
    const ext = this.#identify(req, res);
    if (!ext) return;
    const errorType = header(req, 'lambda-extension-function-error-type');
    if (!errorType) return send(res, 403, { errorMessage: 'Missing Lambda-Extension-Function-Error-Type header', errorType: 'Extension.MissingHeader' });
    ext.error ??= { kind, errorType };
    send(res, 202, { status: 'OK' });
    this.#listener?.changed();
  }

  #identify(req: IncomingMessage, res: ServerResponse): Extension | undefined {
    const id = header(req, 'lambda-extension-identifier');
    if (!id) {
      send(res, 403, { errorMessage: 'Missing Lambda-Extension-Identifier header', errorType: 'Extension.MissingExtensionIdentifier' });
      return undefined;
    }
    const ext = this.#byId.get(id);
    if (!ext) send(res, 403, { errorMessage: `Unknown extension ${id}`, errorType: 'Extension.UnknownExtensionIdentifier' });
    return ext;
  }

  #broadcast(type: ExtensionEventType, event: object): number {
    let n = 0;
    for (const e of this.#byId.values()) {
      if (!e.events.has(type)) continue;
      n++;
      const w = e.waiter;
      e.waiter = undefined;
      if (w && !w.closed) deliver(w.res, event);
      else e.queue.push(event);
    }
    return n;
  }
}

function deliver(res: ServerResponse, event: object): void {
  const text = JSON.stringify(event);
  res.writeHead(200, { 'content-type': 'application/json', 'lambda-extension-event-identifier': randomUUID(), 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
