import type { ControlContext } from './control-context.js';
import { FunctionRepository, isVersionNumber } from './function-repository.js';
import { page } from './pagination.js';
import { COLLECTIONS, SEP, key, type FunctionUrlCors, type FunctionUrlRecord } from '../domain/records.js';
import { AwsError, ResourceConflictException, ResourceNotFoundException } from '../domain/errors.js';

type AuthType = FunctionUrlRecord['AuthType'];
type InvokeMode = NonNullable<FunctionUrlRecord['InvokeMode']>;

export interface FunctionUrlInput {
  FunctionName: string;
  Qualifier?: string;
  AuthType?: AuthType;
  Cors?: FunctionUrlCors;
  InvokeMode?: InvokeMode;
}

/** What the data plane needs to serve a URL. */
export interface FunctionUrlTarget {
  urlId: string;
  functionName: string;
  qualifier?: string;
  functionArn: string;
  authType: AuthType;
  cors?: FunctionUrlCors;
  /** RESPONSE_STREAM: the function's streamed response goes to the client as it comes. */
  invokeMode?: InvokeMode;
}

/** Lambda's texts (recorded: test_lambda_api.snapshot.json, TestLambdaUrl). */
const NO_RESOURCE = 'The resource you requested does not exist.';
const NO_FUNCTION = 'Function does not exist';
const QUALIFIER_PATTERN = '((?!^\\d+$)^[0-9a-zA-Z-_]+$)';
const URL_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Function URLs (CreateFunctionUrlConfig …): one per function or alias, never a version or $LATEST
 * (Lambda's qualifier pattern refuses them). The URL id is 32 lowercase alphanumerics like AWS's;
 * the FunctionUrl is built at read time from where Flint listens, so a restart on another port
 * still answers the right address. A URL goes with its function or alias (deleted on their events).
 */
export class FunctionUrlService {
  readonly #ctx: ControlContext;
  readonly #repo: FunctionRepository;
  readonly #randomBytes: (n: number) => Buffer;
  #base: { scheme: string; port: string } = { scheme: 'http', port: '' };

  constructor(ctx: ControlContext, opts: { randomBytes: (n: number) => Buffer }) {
    this.#ctx = ctx;
    this.#repo = new FunctionRepository(ctx);
    this.#randomBytes = opts.randomBytes;
    ctx.events.subscribe((e) => {
      if (e.type === 'function-deleted') this.#drop(e.functionName);
      else if (e.type === 'alias-deleted') this.#drop(e.functionName, e.alias);
    });
  }

  /** Where Flint listens (`http://127.0.0.1:4566`): URLs read `<scheme>://<id>.lambda-url.<region>.localhost:<port>/`. */
  setEndpoint(endpoint: string): void {
    const u = new URL(endpoint);
    this.#base = { scheme: u.protocol.replace(':', ''), port: u.port };
  }

  /** The URL's host name, as the data plane matches it and the event's domainName shows it. */
  domainName(urlId: string): string {
    return `${urlId}.lambda-url.${this.#ctx.arns.region}.localhost`;
  }

  functionUrl(urlId: string): string {
    return `${this.#base.scheme}://${this.domainName(urlId)}${this.#base.port ? ':' + this.#base.port : ''}/`;
  }

  create(input: FunctionUrlInput): Record<string, unknown> {
    const { name, qualifier } = this.#address(input.FunctionName, input.Qualifier, NO_FUNCTION);
    const now = this.#now();
    const record = this.#ctx.store.transaction(() => {
      const arn = this.#ctx.arns.function(name, qualifier);
      if (this.#urls.get(this.#key(name, qualifier))) {
        throw new ResourceConflictException(`Failed to create function url config for [functionArn = ${arn}]. Error message:  FunctionUrlConfig exists for this Lambda function`);
      }
      const rec: FunctionUrlRecord = {
        urlId: this.#newUrlId(),
        functionName: name,
        ...(qualifier !== undefined ? { qualifier } : {}),
        FunctionArn: arn,
        AuthType: input.AuthType!,
        ...(input.Cors !== undefined ? { Cors: input.Cors } : {}),
        ...(input.InvokeMode !== undefined ? { InvokeMode: input.InvokeMode } : {}),
        CreationTime: now,
        LastModifiedTime: now,
      };
      this.#urls.put(this.#key(name, qualifier), rec);
      this.#ids.put(rec.urlId, { key: this.#key(name, qualifier) });
      return rec;
    });
    // Create answers without LastModifiedTime, and InvokeMode only when given (recorded).
    const { LastModifiedTime: _m, ...shown } = this.#shown(record, false);
    return shown;
  }

  get(input: { FunctionName: string; Qualifier?: string }): Record<string, unknown> {
    const { name, qualifier } = this.#address(input.FunctionName, input.Qualifier, NO_RESOURCE);
    return this.#shown(this.#require(name, qualifier), true);
  }

  update(input: FunctionUrlInput): Record<string, unknown> {
    const { name, qualifier } = this.#address(input.FunctionName, input.Qualifier, NO_RESOURCE);
    const updated = this.#ctx.store.transaction(() => {
      const current = this.#require(name, qualifier);
      const next: FunctionUrlRecord = {
        ...current,
        ...(input.AuthType !== undefined ? { AuthType: input.AuthType } : {}),
        ...(input.Cors !== undefined ? { Cors: input.Cors } : {}),
        ...(input.InvokeMode !== undefined ? { InvokeMode: input.InvokeMode } : {}),
        LastModifiedTime: this.#now(),
      };
      this.#urls.put(this.#key(name, qualifier), next);
      return next;
    });
    return this.#shown(updated, false);
  }

  delete(input: { FunctionName: string; Qualifier?: string }): void {
    const { name, qualifier } = this.#address(input.FunctionName, input.Qualifier, NO_RESOURCE);
    this.#ctx.store.transaction(() => {
      const rec = this.#require(name, qualifier);
      this.#urls.delete(this.#key(name, qualifier));
      this.#ids.delete(rec.urlId);
    });
  }

  list(input: { FunctionName: string; Marker?: string; MaxItems?: number }): { FunctionUrlConfigs: Record<string, unknown>[]; NextMarker?: string } {
    const { name } = this.#repo.ref(input.FunctionName);
    if (!this.#repo.fn(name)) throw new ResourceNotFoundException(NO_FUNCTION);
    const { items, nextMarker } = page(this.#urls, name + SEP, { marker: input.Marker, maxItems: input.MaxItems });
    const FunctionUrlConfigs = items.map((e) => this.#shown(e.value, true));
    return nextMarker ? { FunctionUrlConfigs, NextMarker: nextMarker } : { FunctionUrlConfigs };
  }

  /** The data plane's lookup by URL id (one indexed read, one record read). */
  target(urlId: string): FunctionUrlTarget | undefined {
    const ref = this.#ids.get(urlId);
    const rec = ref ? this.#urls.get(ref.key) : undefined;
    if (!rec) return undefined;
    return {
      urlId,
      functionName: rec.functionName,
      ...(rec.qualifier !== undefined ? { qualifier: rec.qualifier } : {}),
      functionArn: rec.FunctionArn,
      authType: rec.AuthType,
      ...(rec.Cors !== undefined ? { cors: rec.Cors } : {}),
      ...(rec.InvokeMode !== undefined ? { invokeMode: rec.InvokeMode } : {}),
    };
  }

  /**
   * The function (and alias) must exist. A version or `$LATEST` fails the model's qualifier pattern
   * with Lambda's ValidationException text (recorded); the front door's validator checks the
   * pattern on the query member, this checks a qualifier carried in the ARN.
   */
  #address(functionName: string, qualifier: string | undefined, missing: string): { name: string; qualifier?: string } {
    const ref = this.#repo.ref(functionName, qualifier);
    if (ref.qualifier !== undefined && (ref.qualifier === '$LATEST' || isVersionNumber(ref.qualifier))) {
      throw new AwsError('ValidationException', `1 validation error detected: Value '${ref.qualifier}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ${QUALIFIER_PATTERN}`, { status: 400 });
    }
    if (!this.#repo.fn(ref.name)) throw new ResourceNotFoundException(missing);
    if (ref.qualifier !== undefined && !this.#repo.alias(ref.name, ref.qualifier)) throw new ResourceNotFoundException(missing);
    return ref;
  }

  #require(name: string, qualifier: string | undefined): FunctionUrlRecord {
    const rec = this.#urls.get(this.#key(name, qualifier));
    if (!rec) throw new ResourceNotFoundException(NO_RESOURCE);
    return rec;
  }

  /** The wire shape; Get and List always name InvokeMode (BUFFERED by default), Create and Update only once set. */
  #shown(rec: FunctionUrlRecord, withMode: boolean): Record<string, unknown> {
    const mode = rec.InvokeMode ?? (withMode ? 'BUFFERED' : undefined);
    return {
      FunctionUrl: this.functionUrl(rec.urlId),
      FunctionArn: rec.FunctionArn,
      AuthType: rec.AuthType,
      ...(rec.Cors !== undefined ? { Cors: rec.Cors } : {}),
      CreationTime: rec.CreationTime,
      LastModifiedTime: rec.LastModifiedTime,
      ...(mode !== undefined ? { InvokeMode: mode } : {}),
    };
  }

  #drop(functionName: string, alias?: string): void {
    this.#ctx.store.transaction(() => {
      const entries = alias !== undefined
        ? [this.#urls.get(this.#key(functionName, alias))].filter((r): r is FunctionUrlRecord => r !== undefined).map((value) => ({ key: this.#key(functionName, alias), value }))
        : this.#urls.list(functionName + SEP);
      for (const e of entries) {
        this.#urls.delete(e.key);
        this.#ids.delete(e.value.urlId);
      }
    });
  }

  #newUrlId(): string {
    for (;;) {
      const bytes = this.#randomBytes(32);
      let id = '';
      for (const b of bytes) id += URL_ID_ALPHABET[b % URL_ID_ALPHABET.length];
      if (!this.#ids.get(id)) return id;
    }
  }

  /** Lambda's URL timestamps: ISO-8601 with microseconds, `Z`. */
  #now(): string {
    return new Date(this.#ctx.clock.now()).toISOString().replace('Z', '000Z');
  }

  #key(name: string, qualifier: string | undefined): string {
    return key(name, qualifier ?? '$LATEST');
  }

  get #urls() {
    return this.#ctx.store.collection<FunctionUrlRecord>(COLLECTIONS.functionUrls);
  }

  get #ids() {
    return this.#ctx.store.collection<{ key: string }>(COLLECTIONS.functionUrlIds);
  }
}
