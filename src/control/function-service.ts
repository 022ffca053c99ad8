import type { ControlContext } from './control-context.js';
import { lastModified } from './control-context.js';
import { COLLECTIONS, key, versionKey, type FunctionConfiguration, type FunctionRecord, type FunctionVersionRecord } from '../domain/records.js';
import { parseFunctionName, resolveQualifier } from '../domain/function-name.js';
import { InvalidParameterValueException, ResourceConflictException, ResourceNotFoundException } from '../domain/errors.js';

export interface CreateFunctionInput {
  FunctionName: string;
  Runtime?: string;
  Role: string;
  Handler?: string;
  Code: { ZipFile?: Buffer; S3Bucket?: string; S3Key?: string; ImageUri?: string };
  Description?: string;
  Timeout?: number;
  MemorySize?: number;
  Publish?: boolean;
  Environment?: { Variables?: Record<string, string> };
  Tags?: Record<string, string>;
  Layers?: string[];
  Architectures?: string[];
  EphemeralStorage?: { Size: number };
  PackageType?: string;
  TracingConfig?: { Mode?: string };
  DeadLetterConfig?: { TargetArn?: string };
  LoggingConfig?: { LogFormat?: string; LogGroup?: string; ApplicationLogLevel?: string; SystemLogLevel?: string };
  [extra: string]: unknown;
}

/**
 * Functions: create, read, list, update, delete. (Initial slice: create and read; the rest of the
 * operations are added beside these.)
 */
export class FunctionService {
  readonly #ctx: ControlContext;

  constructor(ctx: ControlContext) {
    this.#ctx = ctx;
  }

  get #functions() {
    return this.#ctx.store.collection<FunctionRecord>(COLLECTIONS.functions);
  }

  get #versions() {
    return this.#ctx.store.collection<FunctionVersionRecord>(COLLECTIONS.functionVersions);
  }

  async create(input: CreateFunctionInput): Promise<FunctionConfiguration> {
    const { name } = parseFunctionName(input.FunctionName, this.#ctx.arns.region);
    if (!input.Code.ZipFile) {
      throw new InvalidParameterValueException('Flint accepts code only as a ZipFile upload (S3 locations and container images are not supported).');
    }
    const stored = await this.#ctx.code.put(input.Code.ZipFile);
    const now = this.#ctx.clock.now();
    const config: FunctionConfiguration = {
      FunctionName: name,
      FunctionArn: this.#ctx.arns.function(name),
      ...(input.Runtime !== undefined ? { Runtime: input.Runtime } : {}),
      Role: input.Role,
      ...(input.Handler !== undefined ? { Handler: input.Handler } : {}),
      CodeSize: stored.size,
      Description: input.Description ?? '',
      Timeout: input.Timeout ?? 3,
      MemorySize: input.MemorySize ?? 128,
      LastModified: lastModified(now),
      CodeSha256: stored.codeSha256,
      Version: '$LATEST',
      Environment: { Variables: input.Environment?.Variables ?? {} },
      TracingConfig: { Mode: input.TracingConfig?.Mode ?? 'PassThrough' },
      RevisionId: this.#ctx.uuid(),
      State: 'Pending',
      StateReason: 'The function is being created.',
      StateReasonCode: 'Creating',
      PackageType: 'Zip',
      Architectures: input.Architectures ?? ['x86_64'],
      EphemeralStorage: { Size: input.EphemeralStorage?.Size ?? 512 },
      SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
      LoggingConfig: { LogFormat: input.LoggingConfig?.LogFormat ?? 'Text', LogGroup: input.LoggingConfig?.LogGroup ?? `/aws/lambda/${name}` },
    };
    this.#ctx.store.transaction(() => {
      const fn: FunctionRecord = { name, arn: config.FunctionArn, createdAt: now, lastVersion: 0, tags: input.Tags ?? {} };
      if (!this.#functions.insert(name, fn)) throw new ResourceConflictException(`Function already exist: ${name}`);
      this.#versions.put(key(name, versionKey('$LATEST')), { config, codeSha256Hex: stored.sha256Hex, layerSha256Hex: [], createdAt: now });
    });
    // Lambda answers Pending and turns the function Active once its environment is prepared.
    setImmediate(() => this.#activate(name));
    return config;
  }

  #activate(name: string): void {
    this.#ctx.store.transaction(() => {
      const k = key(name, versionKey('$LATEST'));
      const rec = this.#versions.get(k);
      if (!rec || rec.config.State !== 'Pending') return;
      const { StateReason: _r, StateReasonCode: _c, ...rest } = rec.config;
      rec.config = { ...rest, State: 'Active', LastUpdateStatus: 'Successful', RevisionId: this.#ctx.uuid() };
      this.#versions.put(k, rec);
    });
  }

  /** The version record a name (+ qualifier) designates; aliases resolve to their primary version. */
  getVersion(functionName: string, qualifier?: string): FunctionVersionRecord {
    const ref = parseFunctionName(functionName, this.#ctx.arns.region);
    const q = resolveQualifier(ref, qualifier) ?? '$LATEST';
    const rec = this.#versions.get(key(ref.name, versionKey(q)));
    if (!rec) throw new ResourceNotFoundException(`Function not found: ${this.#ctx.arns.function(ref.name, q)}`);
    return rec;
  }
}
