import type { ControlContext } from './control-context.js';
import { lastModified } from './control-context.js';
import { FunctionRepository, checkRevision } from './function-repository.js';
import type { StoredVersionRecord } from './function-secrets.js';
import { CREATING, listView, publishFingerprint, withState } from './function-config.js';
import { page } from './pagination.js';
import { SEP, key, versionKey, type FunctionConfiguration, type FunctionVersionRecord } from '../domain/records.js';
import { InvalidParameterValueException, ResourceConflictException } from '../domain/errors.js';

export interface PublishVersionInput {
  FunctionName: string;
  CodeSha256?: string;
  Description?: string;
  RevisionId?: string;
}

/** Lambda refuses changes while $LATEST is still being created or updated (recorded wording). */
export function checkSettled(latest: FunctionVersionRecord, arn: string): void {
  if (latest.config.State === 'Pending') {
    throw new ResourceConflictException('The operation cannot be performed at this time. The function is currently in the following state: Pending');
  }
  if (latest.config.LastUpdateStatus === 'InProgress') {
    throw new ResourceConflictException(`The operation cannot be performed at this time. An update is in progress for resource: ${arn}`);
  }
}

/** Published versions: PublishVersion, ListVersionsByFunction, and publishing on create/update. */
export class VersionService {
  readonly #ctx: ControlContext;
  readonly #repo: FunctionRepository;
  /** Turns freshly published Pending versions Active (FunctionService provides its scheduler). */
  readonly #settle: (name: string, versions: string[]) => void;

  constructor(ctx: ControlContext, opts: { settle?: (name: string, versions: string[]) => void } = {}) {
    this.#ctx = ctx;
    this.#repo = new FunctionRepository(ctx);
    this.#settle = opts.settle ?? (() => {});
  }

  publish(input: PublishVersionInput): FunctionConfiguration {
    const { name } = this.#repo.ref(input.FunctionName);
    return this.#ctx.store.transaction(() => {
      this.#repo.requireFunction(name);
      const latest = this.#repo.latest(name)!;
      checkSettled(latest, this.#ctx.arns.function(name));
      if (input.CodeSha256 !== undefined && input.CodeSha256 !== latest.config.CodeSha256) {
        throw new InvalidParameterValueException(
          `CodeSHA256 (${input.CodeSha256}) is different from current CodeSHA256 in $LATEST (${latest.config.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
        );
      }
      checkRevision(input.RevisionId, latest.config.RevisionId);
      return this.#repo.shown(this.publishLatest(name, { description: input.Description, pending: false }).record);
    });
  }

  /**
   * Publishes $LATEST as the next version, or returns the last version when nothing changed since it
   * was published. Must run inside a store transaction. A version published while its code is still
   * being set up (create/update with Publish) starts Pending, as in Lambda. The record is the stored
   * one (sealed secrets: show it through the repository).
   */
  publishLatest(name: string, opts: { description?: string; pending: boolean }): { config: FunctionConfiguration; record: StoredVersionRecord; created: boolean } {
    const fn = this.#repo.requireFunction(name);
    const latest = this.#repo.latest(name)!;
    const fingerprint = publishFingerprint(latest);
    if (fn.lastVersion > 0 && fn.publishedFingerprint === fingerprint) {
      const existing = this.#repo.version(name, String(fn.lastVersion));
      if (existing) return { config: existing.config, record: existing, created: false };
    }
    const version = String(fn.lastVersion + 1);
    const now = this.#ctx.clock.now();
    const base: FunctionConfiguration = {
      ...latest.config,
      FunctionArn: this.#ctx.arns.function(name, version),
      Version: version,
      Description: opts.description ?? latest.config.Description,
      LastModified: lastModified(now),
      RevisionId: this.#ctx.uuid(),
    };
    const config = opts.pending
      ? withState(base, { State: 'Pending', StateReason: CREATING.reason, StateReasonCode: CREATING.code })
      : withState(base, { State: 'Active', LastUpdateStatus: 'Successful' });
    // The version keeps $LATEST's sealed secrets: their encryption contexts name the function, not the version.
    const record: StoredVersionRecord = { ...latest, config, createdAt: now };
    this.#repo.versions.put(key(name, versionKey(version)), record);
    // Publishing gives $LATEST a new RevisionId too (recorded: GetFunction after PublishVersion).
    latest.config = { ...latest.config, RevisionId: this.#ctx.uuid() };
    this.#repo.versions.put(key(name, versionKey('$LATEST')), latest);
    this.#repo.functions.put(name, { ...fn, lastVersion: Number(version), publishedFingerprint: fingerprint });
    if (opts.pending) this.#settle(name, [version]);
    return { config, record, created: true };
  }

  list(input: { FunctionName: string; Marker?: string; MaxItems?: number }): { Versions: FunctionConfiguration[]; NextMarker?: string } {
    const { name } = this.#repo.ref(input.FunctionName);
    this.#repo.requireFunction(name);
    const { items, nextMarker } = page(this.#repo.versions, name + SEP, { marker: input.Marker, maxItems: input.MaxItems });
    const Versions = items.map(({ value }) => {
      const config = this.#repo.shown(value);
      return listView(config.Version === '$LATEST' ? { ...config, FunctionArn: this.#ctx.arns.function(name, '$LATEST') } : config);
    });
    return nextMarker ? { Versions, NextMarker: nextMarker } : { Versions };
  }
}
