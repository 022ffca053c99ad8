import { randomBytes } from 'node:crypto';
import type { ControlContext } from './control-context.js';
import { lastModified } from './control-context.js';
import { CodeLocations } from './code-location.js';
import { FunctionRepository, checkRevision } from './function-repository.js';
import type { StoredVersionRecord } from './function-secrets.js';
import { VersionService, checkSettled } from './version-service.js';
import { page } from './pagination.js';
import { layersUnzippedSize, resolveLayers } from './layer-references.js';
import { checkTags } from './tag-service.js';
import { CREATING, applyConfigInput, baseConfig, checkUnzippedTotal, listView, withState, type ConfigInput } from './function-config.js';
import { checkVpcConfig } from './vpc-config.js';
import {
  checkEnvironment,
  checkHandlerAndRuntime,
  checkLimits,
  checkNewFunctionName,
  checkPackageType,
  checkRuntime,
  checkUnsupportedAttachments,
  mergeLoggingConfig,
  requireZipFile,
  type CodeInput,
} from './function-validation.js';
import { COLLECTIONS, SEP, key, versionKey, type FunctionConfiguration, type FunctionRecord, type FunctionVersionRecord } from '../domain/records.js';
import { InvalidParameterValueException, ResourceConflictException, ResourceNotFoundException } from '../domain/errors.js';

export interface CreateFunctionInput extends ConfigInput {
  FunctionName: string;
  Role: string;
  Code: CodeInput;
  Publish?: boolean;
  PackageType?: string;
  Tags?: Record<string, string>;
  Layers?: string[];
  Architectures?: string[];
  FileSystemConfigs?: unknown[];
  ImageConfig?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface UpdateFunctionCodeInput extends CodeInput {
  FunctionName: string;
  Publish?: boolean;
  DryRun?: boolean;
  RevisionId?: string;
  Architectures?: string[];
}

export interface UpdateFunctionConfigurationInput extends ConfigInput {
  FunctionName: string;
  RevisionId?: string;
  Layers?: string[];
  FileSystemConfigs?: unknown[];
  ImageConfig?: Record<string, unknown>;
}

/** What an Invoke of `name[:qualifier]` runs (see resolveInvocationTarget). */
export interface InvocationTarget {
  record: FunctionVersionRecord;
  /** The version that runs: the addressed one, or the one an alias's weighted routing picked. */
  executedVersion: string;
  /** The qualifier as addressed (alias name, version number or `$LATEST`), if any. */
  qualifier?: string;
  /** The ARN the caller addressed: unqualified for a bare name, else qualified with `qualifier`. */
  resolvedArn: string;
}

/** Collections keyed `functionName SEP qualifier` whose documents belong to a function or one of its versions. */
const PER_QUALIFIER = [COLLECTIONS.policies, COLLECTIONS.provisionedConcurrency, COLLECTIONS.eventInvokeConfigs] as const;

/**
 * Functions: CreateFunction, GetFunction(Configuration), ListFunctions, UpdateFunctionCode,
 * UpdateFunctionConfiguration, DeleteFunction, and the invoke side's name resolution. Publishing is
 * VersionService's; aliases are AliasService's.
 */
export class FunctionService {
  readonly #ctx: ControlContext;
  readonly #repo: FunctionRepository;
  readonly #versions: VersionService;
  readonly #codeLocations: CodeLocations;

  constructor(ctx: ControlContext, opts: { codeLocations?: CodeLocations } = {}) {
    this.#ctx = ctx;
    this.#repo = new FunctionRepository(ctx);
    this.#versions = new VersionService(ctx, { settle: (name, versions) => this.#scheduleSettle(name, versions) });
    this.#codeLocations = opts.codeLocations ?? new CodeLocations(randomBytes(32), ctx.clock);
  }

  async create(input: CreateFunctionInput): Promise<FunctionConfiguration> {
    // A qualifier in CreateFunction's name is ignored, as the name alone identifies the new function.
    const { name } = this.#repo.ref(input.FunctionName);
    checkNewFunctionName(input.FunctionName, name);
    checkRuntime(input.Runtime);
    checkPackageType(input.PackageType);
    const zip = requireZipFile(input.Code, 'create');
    checkHandlerAndRuntime(input.Runtime, input.Handler);
    checkLimits(input);
    checkEnvironment(input.Environment?.Variables);
    checkUnsupportedAttachments(input);
    checkVpcConfig(input.VpcConfig);
    // Before the code is stored: a new function's logging starts from Lambda's Text default.
    mergeLoggingConfig({ LogFormat: 'Text', LogGroup: `/aws/lambda/${name}` }, input.LoggingConfig);
    if (input.KMSKeyArn) this.#repo.secrets.checkConfigurableKey(input.KMSKeyArn);
    if (input.Tags) checkTags(input.Tags);
    const layers = resolveLayers(this.#ctx.store, input.Layers ?? [], this.#ctx.arns.region, this.#ctx.arns.accountId);
    if (this.#repo.fn(name)) throw this.#exists(name);
    const code = await this.#ctx.code.put(zip);
    checkUnzippedTotal(code.unzippedSize, layers.unzippedSize);

    const now = this.#ctx.clock.now();
    const config = baseConfig({
      name,
      arn: this.#ctx.arns.function(name),
      role: input.Role,
      codeSize: code.size,
      codeSha256: code.codeSha256,
      lastModified: lastModified(now),
      revisionId: this.#ctx.uuid(),
      architectures: input.Architectures,
    });
    applyConfigInput(config, input, this.#ctx.arns.region);
    if (layers.layers.length > 0) config.Layers = layers.layers;
    const record: FunctionVersionRecord = {
      config,
      codeSha256Hex: code.sha256Hex,
      layerSha256Hex: layers.sha256Hex,
      unzippedSize: code.unzippedSize,
      createdAt: now,
    };
    // Sealed before the transaction: the key service's work (and its audit) is not a store write.
    const stored = this.#repo.seal(record);
    const published = this.#ctx.store.transaction(() => {
      const fn: FunctionRecord = { name, arn: config.FunctionArn, createdAt: now, lastVersion: 0, tags: input.Tags ?? {} };
      if (!this.#repo.functions.insert(name, fn)) throw this.#exists(name);
      this.#repo.versions.put(key(name, versionKey('$LATEST')), stored);
      return input.Publish ? this.#versions.publishLatest(name, { pending: true }).config : undefined;
    });
    // Lambda answers Pending and turns the function Active once its environment is prepared.
    this.#scheduleSettle(name, ['$LATEST']);
    // With Publish, Lambda's answer is $LATEST's configuration carrying the new version number (recorded).
    return published ? { ...config, Version: published.Version } : config;
  }

  /** GetFunction: configuration, a ten-minute download link for the code, tags and reserved concurrency. */
  getFunction(input: { FunctionName: string; Qualifier?: string }, endpoint: string): Record<string, unknown> {
    const target = this.#repo.resolve(input.FunctionName, input.Qualifier);
    const fn = this.#repo.requireFunction(target.name);
    return {
      Configuration: this.#repo.configFor(target),
      Code: { RepositoryType: 'S3', Location: this.#codeLocations.url(endpoint, target.record.codeSha256Hex) },
      ...(Object.keys(fn.tags).length > 0 ? { Tags: fn.tags } : {}),
      ...(fn.reservedConcurrency !== undefined ? { Concurrency: { ReservedConcurrentExecutions: fn.reservedConcurrency } } : {}),
    };
  }

  getConfiguration(input: { FunctionName: string; Qualifier?: string }): FunctionConfiguration {
    return this.#repo.configFor(this.#repo.resolve(input.FunctionName, input.Qualifier));
  }

  /**
   * What an environment of a version starts from: its record with the Environment decrypted, once
   * the version's code binding opened under the function's key. Called at every cold start (never
   * cached), so a disabled key stops new environments and re-enabling it brings them back; Lambda's
   * KMSDisabledException / KMSInvalidStateException / KMSNotFoundException / KMSAccessDeniedException
   * (502) otherwise.
   */
  openForStart(record: FunctionVersionRecord): FunctionVersionRecord {
    return this.#repo.opened(record);
  }

  /**
   * Seals every version record still holding plaintext environment variables (data directories
   * from before they were encrypted at rest). Records whose key cannot be used stay readable as
   * they were and are counted in `failed`; the next run tries them again.
   */
  sealPlaintextRecords(): { sealed: number; failed: number } {
    let sealed = 0;
    let failed = 0;
    if (!this.#repo.secrets.enabled) return { sealed, failed };
    for (const { key: k, value } of this.#repo.versions.list()) {
      if (value.sealed) continue;
      try {
        const stored = this.#repo.seal(value);
        this.#ctx.store.transaction(() => {
          // Only if unchanged meanwhile (an update seals on its own).
          if (!this.#repo.versions.get(k)?.sealed) this.#repo.versions.put(k, stored);
        });
        sealed++;
      } catch {
        failed++;
      }
    }
    return { sealed, failed };
  }

  /** The version record a name (+ qualifier) designates; aliases resolve to their primary version. */
  getVersion(functionName: string, qualifier?: string): FunctionVersionRecord {
    return this.#repo.resolve(functionName, qualifier).record;
  }

  /** ListFunctions: $LATEST of every function, or every version with FunctionVersion=ALL. MasterRegion is accepted and ignored. */
  list(input: { FunctionVersion?: string; Marker?: string; MaxItems?: number }): { Functions: FunctionConfiguration[]; NextMarker?: string } {
    let Functions: FunctionConfiguration[];
    let next: string | undefined;
    if (input.FunctionVersion === 'ALL') {
      const { items, nextMarker } = page(this.#repo.versions, '', { marker: input.Marker, maxItems: input.MaxItems });
      Functions = items.map(({ value }) => {
        const config = this.#repo.shown(value);
        return listView(config.Version === '$LATEST' ? { ...config, FunctionArn: this.#ctx.arns.function(config.FunctionName, '$LATEST') } : config);
      });
      next = nextMarker;
    } else {
      const { items, nextMarker } = page(this.#repo.functions, '', { marker: input.Marker, maxItems: input.MaxItems });
      Functions = items.flatMap(({ key: name }) => {
        const latest = this.#repo.latest(name);
        return latest ? [listView(this.#repo.shown(latest))] : [];
      });
      next = nextMarker;
    }
    return next ? { Functions, NextMarker: next } : { Functions };
  }

  async updateCode(input: UpdateFunctionCodeInput): Promise<FunctionConfiguration> {
    const { name } = this.#repo.ref(input.FunctionName);
    this.#repo.requireFunction(name);
    const zip = requireZipFile(input, 'update');
    const stored = await this.#ctx.code.put(zip);
    const result = this.#ctx.store.transaction(() => {
      const latest = this.#repo.latest(this.#repo.requireFunction(name).name)!;
      checkSettled(latest, this.#ctx.arns.function(name));
      checkRevision(input.RevisionId, latest.config.RevisionId);
      checkUnzippedTotal(stored.unzippedSize, layersUnzippedSize(this.#ctx.store, (latest.config.Layers ?? []).map((l) => l.Arn)));
      const config: FunctionConfiguration = {
        ...latest.config,
        CodeSha256: stored.codeSha256,
        CodeSize: stored.size,
        ...(input.Architectures ? { Architectures: input.Architectures } : {}),
      };
      // DryRun validates the request and shows the outcome without changing the function.
      if (input.DryRun) return { config: this.#repo.shown({ ...latest, config }), dryRun: true };
      const updated = this.#repo.seal({ ...latest, config: this.#markUpdating(config), codeSha256Hex: stored.sha256Hex, unzippedSize: stored.unzippedSize });
      this.#repo.versions.put(key(name, versionKey('$LATEST')), updated);
      const published = input.Publish ? this.#versions.publishLatest(name, { pending: true }).record : undefined;
      return { config: this.#repo.shown(published ?? updated), dryRun: false };
    });
    if (!result.dryRun) this.#changed(name);
    return result.config;
  }

  updateConfiguration(input: UpdateFunctionConfigurationInput): FunctionConfiguration {
    const { name } = this.#repo.ref(input.FunctionName);
    this.#repo.requireFunction(name);
    checkRuntime(input.Runtime);
    checkLimits(input);
    checkEnvironment(input.Environment?.Variables);
    checkUnsupportedAttachments(input);
    checkVpcConfig(input.VpcConfig);
    if (input.KMSKeyArn) this.#repo.secrets.checkConfigurableKey(input.KMSKeyArn);
    const layers = input.Layers && resolveLayers(this.#ctx.store, input.Layers, this.#ctx.arns.region, this.#ctx.arns.accountId);
    const config = this.#ctx.store.transaction(() => {
      const latest = this.#repo.latest(this.#repo.requireFunction(name).name)!;
      checkSettled(latest, this.#ctx.arns.function(name));
      checkRevision(input.RevisionId, latest.config.RevisionId);
      const config: FunctionConfiguration = structuredClone(latest.config);
      applyConfigInput(config, input, this.#ctx.arns.region);
      checkHandlerAndRuntime(config.Runtime, config.Handler);
      const rec: StoredVersionRecord = { ...latest };
      if (layers) {
        checkUnzippedTotal(latest.unzippedSize ?? 0, layers.unzippedSize);
        if (layers.layers.length > 0) config.Layers = layers.layers;
        else delete config.Layers;
        rec.layerSha256Hex = layers.sha256Hex;
      }
      rec.config = this.#markUpdating(config);
      const stored = this.#repo.seal(rec);
      this.#repo.versions.put(key(name, versionKey('$LATEST')), stored);
      return this.#repo.shown(stored);
    });
    this.#changed(name);
    return config;
  }

  /**
   * DeleteFunction: the whole function (versions, aliases, policies, concurrency and invoke
   * configs), or one published version with Qualifier.
   */
  delete(input: { FunctionName: string; Qualifier?: string }): void {
    const { name, qualifier } = this.#repo.ref(input.FunctionName, input.Qualifier);
    if (qualifier === '$LATEST') throw new InvalidParameterValueException('$LATEST version cannot be deleted without deleting the function.');
    // Lambda checks the qualifier's form before looking anything up (recorded with absent functions).
    if (qualifier !== undefined && /^[a-zA-Z0-9_-]+$/.test(qualifier) && !/^[0-9]+$/.test(qualifier)) {
      throw new InvalidParameterValueException('Deletion of aliases is not currently supported.');
    }
    const deleted = this.#ctx.store.transaction(() => {
      this.#repo.requireFunction(name);
      if (qualifier === undefined) {
        this.#deleteAll(name);
        return 'function' as const;
      }
      // An absent version of an existing function: nothing to do, and Lambda answers 204.
      if (!this.#repo.version(name, qualifier)) return undefined;
      const referencing = this.#repo
        .aliasesOf(name)
        .filter((a) => a.FunctionVersion === qualifier || a.RoutingConfig?.AdditionalVersionWeights[qualifier] !== undefined)
        .map((a) => a.Name);
      if (referencing.length > 0) {
        throw new ResourceConflictException(`Unable to delete version because the following aliases reference it: [${referencing.join(', ')}]`);
      }
      this.#repo.versions.delete(key(name, versionKey(qualifier)));
      for (const c of PER_QUALIFIER) this.#ctx.store.collection(c).delete(key(name, qualifier));
      return 'version' as const;
    });
    if (deleted === 'function') this.#ctx.events.emit({ type: 'function-deleted', functionName: name });
    if (deleted === 'version') this.#ctx.events.emit({ type: 'version-deleted', functionName: name, version: qualifier! });
  }

  /**
   * What an Invoke of `functionName` (any accepted form) with `qualifier` runs. An alias with
   * AdditionalVersionWeights {v: w} sends a request to v with probability w (`random()` < w).
   * Missing → 404 with Invoke's wording (the unqualified form names `:$LATEST`); a version still
   * Pending → 409, as Lambda refuses invocations before the function is Active. `drawn`: a pick
   * already made for this request (by a cluster's api node), used when the alias routes to it.
   */
  resolveInvocationTarget(functionName: string, qualifier: string | undefined, random: () => number, drawn?: string): InvocationTarget {
    const ref = this.#repo.ref(functionName, qualifier);
    const target = this.#repo.lookup(ref.name, ref.qualifier);
    if (!target) throw new ResourceNotFoundException(`Function not found: ${this.#ctx.arns.function(ref.name, ref.qualifier ?? '$LATEST')}`);
    let record = target.record;
    const weights = target.alias?.RoutingConfig?.AdditionalVersionWeights;
    if (weights && drawn !== undefined && (drawn === record.config.Version || Object.hasOwn(weights, drawn))) {
      record = this.#repo.version(ref.name, drawn) ?? record;
    } else if (weights) {
      for (const [v, w] of Object.entries(weights)) {
        const other = random() < w ? this.#repo.version(ref.name, v) : undefined;
        if (other) record = other;
      }
    }
    if (record.config.State === 'Pending') {
      throw new ResourceConflictException('The operation cannot be performed at this time. The function is currently in the following state: Pending');
    }
    return {
      record,
      executedVersion: record.config.Version,
      ...(ref.qualifier !== undefined ? { qualifier: ref.qualifier } : {}),
      resolvedArn: this.#ctx.arns.function(ref.name, ref.qualifier),
    };
  }

  #exists(name: string): Error {
    return new ResourceConflictException(`Function already exist: ${name}`);
  }

  /** A code or configuration change: new revision, LastUpdateStatus InProgress until settled (Lambda's update lifecycle). */
  #markUpdating(config: FunctionConfiguration): FunctionConfiguration {
    return withState(
      { ...config, LastModified: lastModified(this.#ctx.clock.now()), RevisionId: this.#ctx.uuid() },
      { State: config.State, LastUpdateStatus: 'InProgress', LastUpdateStatusReason: CREATING.reason, LastUpdateStatusReasonCode: CREATING.code },
    );
  }

  #changed(name: string): void {
    this.#ctx.events.emit({ type: 'version-changed', functionName: name, version: '$LATEST' });
    this.#scheduleSettle(name, ['$LATEST']);
  }

  #deleteAll(name: string): void {
    const prefix = name + SEP;
    for (const c of [COLLECTIONS.functionVersions, COLLECTIONS.aliases, ...PER_QUALIFIER]) {
      const col = this.#ctx.store.collection(c);
      for (const { key: k } of col.list(prefix)) col.delete(k);
      col.delete(name);
    }
    this.#repo.functions.delete(name);
  }

  #scheduleSettle(name: string, versions: string[]): void {
    setImmediate(() => {
      try {
        this.#settle(name, versions);
      } catch {
        // The server stopped (store closed) or the function went away before it settled: nothing to settle.
      }
    });
  }

  /** Pending → Active and InProgress → Successful, each with a fresh RevisionId, as Lambda's state changes do. */
  #settle(name: string, versions: string[]): void {
    this.#ctx.store.transaction(() => {
      for (const v of versions) {
        const k = key(name, versionKey(v));
        const rec = this.#repo.versions.get(k);
        if (!rec || (rec.config.State !== 'Pending' && rec.config.LastUpdateStatus !== 'InProgress')) continue;
        rec.config = withState({ ...rec.config, RevisionId: this.#ctx.uuid() }, { State: 'Active', LastUpdateStatus: 'Successful' });
        this.#repo.versions.put(k, rec);
      }
    });
  }
}

