import type { ControlContext } from './control-context.js';
import { lastModified } from './control-context.js';
import { FunctionLookup } from './function-lookup.js';
import { decodeMarker, encodeMarker } from './list-marker.js';
import { checkTags } from './tag-service.js';
import { AwsError, ResourceConflictException, ResourceNotFoundException } from '../domain/errors.js';

/** A code signing configuration as Lambda returns it. */
export interface CodeSigningConfigRecord {
  CodeSigningConfigId: string;
  CodeSigningConfigArn: string;
  Description: string;
  AllowedPublishers: { SigningProfileVersionArns: string[] };
  CodeSigningPolicies: { UntrustedArtifactOnDeployment: 'Warn' | 'Enforce' };
  LastModified: string;
}

interface CodeSigningInput {
  Tags?: Record<string, string>;
  Description?: string;
  AllowedPublishers?: { SigningProfileVersionArns?: string[] };
  CodeSigningPolicies?: { UntrustedArtifactOnDeployment?: string };
}

/** Stored documents: configs by id; the function → config attachment by function name. */
const CONFIGS = 'code-signing-configs';
const ATTACHMENTS = 'function-code-signing';
const TAGS = 'code-signing-config-tags';

/** Lambda's answer to a deployment its code signing check refused (CodeVerificationFailedException, 400). */
export class CodeVerificationFailedException extends AwsError {
  constructor(message: string) {
    super('CodeVerificationFailedException', message);
  }
}

class CodeSigningConfigNotFoundException extends AwsError {
  constructor(message: string) {
    super('CodeSigningConfigNotFoundException', message);
  }
}

/**
 * Code signing configurations (Create/Get/List/Update/DeleteCodeSigningConfig) and their attachment
 * to functions (Put/Get/DeleteFunctionCodeSigningConfig, ListFunctionsByCodeSigningConfig).
 *
 * Lambda checks a signed package against AWS Signer profiles; Signer does not exist on Flint and no
 * package uploaded to Flint carries a signature Flint could verify. So every deployment to a function
 * with a config is an unsigned deployment: `Warn` lets it through (Lambda's documented Warn
 * behaviour for a failed check), `Enforce` refuses it, as Lambda refuses an unsigned package.
 */
export class CodeSigningConfigService {
  readonly #ctx: ControlContext;
  readonly #lookup: FunctionLookup;

  constructor(ctx: ControlContext) {
    this.#ctx = ctx;
    this.#lookup = new FunctionLookup(ctx);
    ctx.events.subscribe((e) => {
      if (e.type === 'function-deleted') this.#ctx.store.transaction(() => this.#attachments.delete(e.functionName));
    });
  }

  get #configs() {
    return this.#ctx.store.collection<CodeSigningConfigRecord>(CONFIGS);
  }

  get #tags() {
    return this.#ctx.store.collection<Record<string, string>>(TAGS);
  }

  get #attachments() {
    return this.#ctx.store.collection<{ CodeSigningConfigArn: string }>(ATTACHMENTS);
  }

  create(input: CodeSigningInput): { CodeSigningConfig: CodeSigningConfigRecord } {
    if (input.Tags) checkTags(input.Tags);
    const id = `csc-${this.#ctx.uuid().replace(/-/g, '').slice(0, 17)}`;
    const rec: CodeSigningConfigRecord = {
      CodeSigningConfigId: id,
      CodeSigningConfigArn: this.#arn(id),
      Description: input.Description ?? '',
      AllowedPublishers: { SigningProfileVersionArns: input.AllowedPublishers?.SigningProfileVersionArns ?? [] },
      // Lambda's default policy is Warn.
      CodeSigningPolicies: { UntrustedArtifactOnDeployment: policy(input.CodeSigningPolicies?.UntrustedArtifactOnDeployment) ?? 'Warn' },
      LastModified: lastModified(this.#ctx.clock.now()),
    };
    this.#ctx.store.transaction(() => {
      this.#configs.put(id, rec);
      if (input.Tags && Object.keys(input.Tags).length > 0) this.#tags.put(id, input.Tags);
    });
    return { CodeSigningConfig: rec };
  }

  /** Tags (TagResource / ListTags on a code signing config ARN, CreateCodeSigningConfig's Tags). */
  tagsOf(arn: string): Record<string, string> | undefined {
    const rec = this.#find(arn);
    return rec ? (this.#tags.get(rec.CodeSigningConfigId) ?? {}) : undefined;
  }

  setTags(arn: string, tags: Record<string, string>): void {
    const rec = this.#find(arn);
    if (rec) this.#tags.put(rec.CodeSigningConfigId, tags);
  }

  get(input: { CodeSigningConfigArn: string }): { CodeSigningConfig: CodeSigningConfigRecord } {
    return { CodeSigningConfig: this.#require(input.CodeSigningConfigArn) };
  }

  list(input: { Marker?: string; MaxItems?: number }): { CodeSigningConfigs: CodeSigningConfigRecord[]; NextMarker?: string } {
    const limit = input.MaxItems ?? 50;
    const after = input.Marker !== undefined ? decodeMarker(input.Marker) : undefined;
    const rows = this.#configs.list('', { ...(after !== undefined ? { after } : {}), limit: limit + 1 });
    const page = rows.slice(0, limit);
    return {
      CodeSigningConfigs: page.map((r) => r.value),
      ...(rows.length > limit ? { NextMarker: encodeMarker(page[page.length - 1]!.key) } : {}),
    };
  }

  update(input: { CodeSigningConfigArn: string } & CodeSigningInput): { CodeSigningConfig: CodeSigningConfigRecord } {
    return this.#ctx.store.transaction(() => {
      const current = this.#require(input.CodeSigningConfigArn);
      const rec: CodeSigningConfigRecord = {
        ...current,
        ...(input.Description !== undefined ? { Description: input.Description } : {}),
        ...(input.AllowedPublishers?.SigningProfileVersionArns !== undefined
          ? { AllowedPublishers: { SigningProfileVersionArns: input.AllowedPublishers.SigningProfileVersionArns } }
          : {}),
        ...(policy(input.CodeSigningPolicies?.UntrustedArtifactOnDeployment) !== undefined
          ? { CodeSigningPolicies: { UntrustedArtifactOnDeployment: policy(input.CodeSigningPolicies!.UntrustedArtifactOnDeployment)! } }
          : {}),
        LastModified: lastModified(this.#ctx.clock.now()),
      };
      this.#configs.put(rec.CodeSigningConfigId, rec);
      return { CodeSigningConfig: rec };
    });
  }

  /** Only a config no function uses can go (Lambda's documented rule: ResourceConflictException). */
  delete(input: { CodeSigningConfigArn: string }): void {
    this.#ctx.store.transaction(() => {
      const rec = this.#require(input.CodeSigningConfigArn);
      const users = this.#functionsUsing(rec.CodeSigningConfigArn);
      if (users.length > 0) {
        throw new ResourceConflictException(
          `The code signing configuration ${rec.CodeSigningConfigArn} is in use by ${users.length} function(s). Detach it with DeleteFunctionCodeSigningConfig first.`,
        );
      }
      this.#configs.delete(rec.CodeSigningConfigId);
      this.#tags.delete(rec.CodeSigningConfigId);
    });
  }

  putForFunction(input: { FunctionName: string; CodeSigningConfigArn: string }): { CodeSigningConfigArn: string; FunctionName: string } {
    const name = this.#function(input.FunctionName);
    return this.#ctx.store.transaction(() => {
      this.#requireForAttach(input.CodeSigningConfigArn);
      this.#attachments.put(name, { CodeSigningConfigArn: input.CodeSigningConfigArn });
      return { CodeSigningConfigArn: input.CodeSigningConfigArn, FunctionName: name };
    });
  }

  /** A function without a config answers 200 with an empty body (recorded: get_function_csc_fnwithoutcsc). */
  getForFunction(input: { FunctionName: string }): { CodeSigningConfigArn?: string; FunctionName?: string } {
    const name = this.#function(input.FunctionName);
    const att = this.#attachments.get(name);
    return att ? { CodeSigningConfigArn: att.CodeSigningConfigArn, FunctionName: name } : {};
  }

  /** Removing a config from a function that has none is a 204 as well (recorded: nothing_to_delete_response). */
  deleteForFunction(input: { FunctionName: string }): void {
    const name = this.#function(input.FunctionName);
    this.#attachments.delete(name);
  }

  listFunctions(input: { CodeSigningConfigArn: string; Marker?: string; MaxItems?: number }): { FunctionArns: string[]; NextMarker?: string } {
    const rec = this.#require(input.CodeSigningConfigArn);
    const names = this.#functionsUsing(rec.CodeSigningConfigArn);
    const start = input.Marker !== undefined ? names.indexOf(decodeMarker(input.Marker)) + 1 : 0;
    const limit = input.MaxItems ?? 50;
    const page = names.slice(start, start + limit);
    return {
      FunctionArns: page.map((n) => this.#ctx.arns.function(n)),
      ...(start + limit < names.length ? { NextMarker: encodeMarker(page[page.length - 1]!) } : {}),
    };
  }

  /**
   * CreateFunction with `CodeSigningConfigArn`: the config must exist (CodeSigningConfigNotFoundException)
   * and, since the package is unsigned, an Enforce policy refuses it. Called before the function exists.
   */
  checkNewFunction(cscArn: string | undefined): void {
    if (cscArn === undefined || cscArn === '') return;
    this.#checkDeployment(this.#requireForAttach(cscArn));
  }

  /** After CreateFunction succeeded: the config it named is attached. */
  attachNew(functionName: string, cscArn: string | undefined): void {
    if (cscArn) this.#attachments.put(functionName, { CodeSigningConfigArn: cscArn });
  }

  /** UpdateFunctionCode (and PublishLayerVersion-style uploads): the function's config decides. */
  checkCodeUpdate(functionName: string): void {
    let name: string;
    try {
      name = this.#lookup.parse(functionName).name;
    } catch {
      return; // the update itself answers the malformed name
    }
    const att = this.#attachments.get(name);
    const rec = att ? this.#find(att.CodeSigningConfigArn) : undefined;
    if (rec) this.#checkDeployment(rec);
  }

  #checkDeployment(rec: CodeSigningConfigRecord): void {
    if (rec.CodeSigningPolicies.UntrustedArtifactOnDeployment === 'Enforce') {
      throw new CodeVerificationFailedException(
        `Lambda cannot deploy the function. The function or layer might be signed using a signature that the client is not configured to accept. Flint cannot verify AWS Signer signatures, so code signing configuration ${rec.CodeSigningConfigArn} with UntrustedArtifactOnDeployment Enforce refuses every package; set it to Warn to deploy.`,
      );
    }
    // Warn: deployed. (AWS also counts it in the SignatureValidationErrors metric; Flint does not.)
  }

  #functionsUsing(arn: string): string[] {
    return this.#attachments.list().filter((r) => r.value.CodeSigningConfigArn === arn).map((r) => r.key);
  }

  #function(functionName: string): string {
    const { name } = this.#lookup.parse(functionName);
    this.#lookup.requireFunction(name);
    return name;
  }

  #arn(id: string): string {
    return `arn:${this.#ctx.arns.partition}:lambda:${this.#ctx.arns.region}:${this.#ctx.arns.accountId}:code-signing-config:${id}`;
  }

  #find(arn: string): CodeSigningConfigRecord | undefined {
    const id = arn.slice(arn.lastIndexOf(':') + 1);
    const rec = this.#configs.get(id);
    return rec && rec.CodeSigningConfigArn === arn ? rec : undefined;
  }

  #require(arn: string): CodeSigningConfigRecord {
    const rec = this.#find(arn);
    if (!rec) throw new ResourceNotFoundException(`The Lambda code signing configuration ${arn} can not be found.`);
    return rec;
  }

  #requireForAttach(arn: string): CodeSigningConfigRecord {
    const rec = this.#find(arn);
    if (!rec) {
      throw new CodeSigningConfigNotFoundException(
        `The code signing configuration cannot be found. Check that the provided configuration is not deleted: ${arn}.`,
      );
    }
    return rec;
  }
}

function policy(v: string | undefined): 'Warn' | 'Enforce' | undefined {
  return v === 'Warn' || v === 'Enforce' ? v : undefined;
}
