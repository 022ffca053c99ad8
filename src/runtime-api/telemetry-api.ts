import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TimerClock, Timer } from '../ports/clock.js';
import { asLogsApiRecord, logsApiOnly, LOGS_SCHEMA_VERSIONS } from './logs-api-records.js';

/**
 * The Lambda Telemetry API (2022-07-01) of one execution environment: extensions subscribe with
 * PUT /2022-07-01/telemetry to the `platform`, `function` and `extension` streams and get them as
 * JSON arrays of `{time, type, record}` POSTed to their listener at `sandbox.localdomain`, batched
 * by Lambda's buffering settings. A subscriber that falls behind loses records; Lambda then sends
 * a `platform.logsDropped` record saying how many (its reason text is AWS's).
 *
 * The older Logs API (PUT /2020-08-15/logs, same body) is served here too: its subscribers get
 * the Logs API's own records (logs-api-records.ts). As on Lambda, an extension subscribes through
 * one of the two APIs only, and subscriptions are accepted during Init only (rapid's 403
 * `Logs.SubscriptionClosed` / "Logs API subscription is closed already", and the Telemetry API's
 * counterpart).
 */
export const TELEMETRY_PATH = '/2022-07-01/telemetry';
export const LOGS_PATH = '/2020-08-15/logs';
type Api = 'telemetry' | 'logs';

export type TelemetryStream = 'platform' | 'function' | 'extension';
export interface TelemetryEvent { time: string; type: string; record: unknown }

/** Lambda's buffering limits and defaults (Telemetry API reference). */
const BUFFERING = {
  maxItems: { min: 1_000, max: 10_000, def: 10_000 },
  maxBytes: { min: 262_144, max: 1_048_576, def: 262_144 },
  timeoutMs: { min: 25, max: 30_000, def: 1_000 },
} as const;
/** Records a subscriber may have waiting (queued plus in flight) before new ones are dropped. */
const BACKLOG_LIMIT_BYTES = 4 * 1_048_576;

/** Sends one batch to a subscriber's listener inside the sandbox. */
export type TelemetryDelivery = (port: number, path: string, body: Buffer) => Promise<void>;

interface Subscriber {
  api: Api;
  schemaVersion: string;
  port: number;
  path: string;
  types: Set<TelemetryStream>;
  maxItems: number;
  maxBytes: number;
  timeoutMs: number;
  queue: TelemetryEvent[];
  queuedBytes: number;
  inFlight: boolean;
  timer: Timer | undefined;
  dropped: { records: number; bytes: number };
}

export class TelemetryApi {
  readonly #clock: TimerClock;
  readonly #identify: (req: IncomingMessage, res: ServerResponse) => { id: string; name: string } | undefined;
  readonly #subscribers = new Map<string, Subscriber>();
  /** Records from the start of Init, replayed to subscriptions made during Init (as Lambda does). */
  #initBacklog: TelemetryEvent[] | undefined = [];
  #deliver: TelemetryDelivery | undefined;

  constructor(clock: TimerClock, identify: (req: IncomingMessage, res: ServerResponse) => { id: string; name: string } | undefined) {
    this.#clock = clock;
    this.#identify = identify;
  }

  /** How batches reach the sandbox (known once the sandbox runs). */
  deliverWith(deliver: TelemetryDelivery): void {
    this.#deliver = deliver;
  }

  /** Init ended: later subscriptions see only what follows. */
  endInit(): void {
    this.#initBacklog = undefined;
  }

  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0];
    const api: Api | undefined = path === TELEMETRY_PATH ? 'telemetry' : path === LOGS_PATH ? 'logs' : undefined;
    if (!api) return false;
    if (req.method !== 'PUT') {
      req.resume();
      send(res, 405, { errorMessage: 'Method not allowed', errorType: api === 'logs' ? 'Logs.MethodNotAllowed' : 'Telemetry.MethodNotAllowed' });
      return true;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.#subscribe(api, req, res, Buffer.concat(chunks)));
    return true;
  }

  /** A record of one stream, stamped now; each subscriber gets it in its API's shape. */
  emit(stream: TelemetryStream, type: string, record: unknown): void {
    const ev: TelemetryEvent = { time: new Date(this.#clock.now()).toISOString(), type, record };
    this.#initBacklog?.push(ev);
    for (const s of this.#subscribers.values()) if (s.types.has(stream)) this.#offer(s, ev);
  }

  /** Sends what is buffered now (the environment is about to end). */
  async flush(): Promise<void> {
    await Promise.all([...this.#subscribers.values()].map((s) => this.#send(s)));
  }

  close(): void {
    for (const s of this.#subscribers.values()) if (s.timer) this.#clock.clearTimer(s.timer);
    this.#subscribers.clear();
  }

  #subscribe(api: Api, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const ext = this.#identify(req, res);
    if (!ext) return;
    const prefix = api === 'logs' ? 'Logs' : 'Telemetry';
    // The Logs API reference's validation error type is `Logs.ValidationError`.
    const invalid = (errorMessage: string) => send(res, 400, { errorMessage, errorType: api === 'logs' ? 'Logs.ValidationError' : 'ValidationError' });
    if (this.#initBacklog === undefined) {
      return send(res, 403, { errorMessage: `${prefix} API subscription is closed already`, errorType: `${prefix}.SubscriptionClosed` });
    }
    const previous = this.#subscribers.get(ext.id);
    if (previous && previous.api !== api) {
      return invalid(`Extension ${ext.name} already subscribed through the ${previous.api === 'logs' ? 'Logs' : 'Telemetry'} API; an extension uses one of the two`);
    }
    let doc: { destination?: { protocol?: string; URI?: string }; types?: unknown; buffering?: Record<string, unknown>; schemaVersion?: string };
    try {
      doc = JSON.parse(body.toString());
    } catch {
      return invalid('Invalid JSON body');
    }
    const schemaVersion = doc.schemaVersion ?? (api === 'logs' ? '2020-08-15' : '2022-07-01');
    if (api === 'logs' && !(LOGS_SCHEMA_VERSIONS as readonly string[]).includes(schemaVersion)) {
      return invalid(`schemaVersion must be one of ${LOGS_SCHEMA_VERSIONS.join(', ')}`);
    }
    const uri = doc.destination?.URI ?? '';
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return invalid(`Invalid destination URI: ${uri}`);
    }
    if (doc.destination?.protocol !== 'HTTP' || url.protocol !== 'http:' || url.hostname !== 'sandbox.localdomain' || !(Number(url.port) > 0)) {
      return invalid('destination must be {"protocol":"HTTP","URI":"http://sandbox.localdomain:<port>/<path>"}');
    }
    const types = Array.isArray(doc.types) ? doc.types : [];
    if (types.length === 0 || types.some((t) => t !== 'platform' && t !== 'function' && t !== 'extension')) {
      return invalid('types must be a non-empty list of platform, function, extension');
    }
    const b = doc.buffering ?? {};
    const limits: Record<string, number> = {};
    for (const [k, r] of Object.entries(BUFFERING)) {
      const v = b[k] ?? r.def;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < r.min || v > r.max) {
        return invalid(`buffering.${k} must be an integer from ${r.min} to ${r.max}`);
      }
      limits[k] = v;
    }
    // A repeated subscription replaces the settings of the first (Lambda: subscribing is idempotent).
    const s: Subscriber = {
      api, schemaVersion, port: Number(url.port), path: url.pathname + url.search, types: new Set(types as TelemetryStream[]),
      maxItems: limits['maxItems']!, maxBytes: limits['maxBytes']!, timeoutMs: limits['timeoutMs']!,
      queue: previous?.queue ?? [], queuedBytes: previous?.queuedBytes ?? 0, inFlight: previous?.inFlight ?? false, timer: previous?.timer, dropped: previous?.dropped ?? { records: 0, bytes: 0 },
    };
    this.#subscribers.set(ext.id, s);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
    res.end('OK');
    if (previous) return;
    for (const ev of this.#initBacklog) if (s.types.has(streamOf(ev.type))) this.#offer(s, ev);
    // Lambda records each subscription on the platform stream.
    this.emit('platform', api === 'logs' ? 'platform.logsSubscription' : 'platform.telemetrySubscription', { name: ext.name, state: 'Subscribed', types });
  }

  /** A record in the subscriber's API's shape, if its API has that record. */
  #offer(s: Subscriber, ev: TelemetryEvent): void {
    if (s.api === 'logs') {
      const mapped = asLogsApiRecord(ev, s.schemaVersion);
      if (mapped) this.#enqueue(s, mapped);
    } else if (!logsApiOnly(ev.type)) {
      this.#enqueue(s, ev);
    }
  }

  #enqueue(s: Subscriber, ev: TelemetryEvent): void {
    const size = Buffer.byteLength(JSON.stringify(ev));
    if (s.queuedBytes + size > BACKLOG_LIMIT_BYTES) {
      s.dropped.records++;
      s.dropped.bytes += size;
      return;
    }
    s.queue.push(ev);
    s.queuedBytes += size;
    if (s.queue.length >= s.maxItems || s.queuedBytes >= s.maxBytes) void this.#send(s);
    else s.timer ??= this.#clock.setTimeout(() => { s.timer = undefined; void this.#send(s); }, s.timeoutMs);
  }

  async #send(s: Subscriber): Promise<void> {
    if (s.inFlight || !this.#deliver) return;
    if (s.dropped.records > 0) {
      const d = s.dropped;
      s.dropped = { records: 0, bytes: 0 };
      s.queue.push({ time: new Date(this.#clock.now()).toISOString(), type: 'platform.logsDropped', record: { reason: 'Consumer seems to have fallen behind as it has not acknowledged receipt of logs.', droppedRecords: d.records, droppedBytes: d.bytes } });
    }
    if (s.queue.length === 0) return;
    if (s.timer) {
      this.#clock.clearTimer(s.timer);
      s.timer = undefined;
    }
    const batch = s.queue.splice(0, s.maxItems);
    const body = Buffer.from(JSON.stringify(batch));
    s.inFlight = true;
    try {
      await this.#deliver(s.port, s.path, body);
    } catch {
      // The listener is gone or failed: the batch is lost, as on Lambda (no retries past the window).
    } finally {
      s.inFlight = false;
      s.queuedBytes = Math.max(0, s.queuedBytes - body.length);
    }
    if (s.queue.length > 0) await this.#send(s);
  }
}

function streamOf(type: string): TelemetryStream {
  return type.startsWith('platform.') ? 'platform' : type === 'extension' ? 'extension' : 'function';
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
