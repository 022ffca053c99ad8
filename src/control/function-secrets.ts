import type { KeyService, KeyUse } from '../ports/key-service.js';
import type { FunctionConfiguration, FunctionVersionRecord } from '../domain/records.js';
import { AwsError } from '../domain/errors.js';

/**
 * What a stored version record keeps in place of its plaintext environment (member `sealed` of
 * the document), as Lambda keeps a function's environment encrypted at rest under its KMS key.
 */
export interface SealedSecrets {
  /** The key that sealed it: the function's KMSKeyArn, or the AWS managed `alias/aws/lambda` key. */
  keyArn: string;
  /** Base64 ciphertext of the variables' JSON (context LambdaFunctionName); absent when the configuration has no Environment. */
  environment?: string;
  /** The code and layer digests the binding names (not secret: CodeSha256 shows them); decides reuse on a re-seal. */
  codeOf: string;
  /**
   * Base64 ciphertext of the version's code and layer digests under the same key (context
   * LambdaFunctionArn): an environment must open it before the code is used, so the key's state
   * governs the code and layers too (their archives' data keys stay wrapped by the master key).
   */
  code: string;
}

/** A version record as stored: the configuration without Environment once sealed. */
export type StoredVersionRecord = FunctionVersionRecord & { sealed?: SealedSecrets };

/** The Lambda errors an environment start answers when the function's key cannot be used (Invoke: 502, the model's status). */
const START_FAILURES: Record<string, { type: string; why: string }> = {
  DisabledException: { type: 'KMSDisabledException', why: 'the KMS key used is disabled' },
  KMSInvalidStateException: { type: 'KMSInvalidStateException', why: 'the KMS key used is in an invalid state for Decrypt' },
  NotFoundException: { type: 'KMSNotFoundException', why: 'the KMS key was not found' },
};

/**
 * Lambda's answer when an environment cannot decrypt its environment variables, with the KMS
 * error inside (recorded texts: "... KMS Exception: AccessDeniedExceptionKMS Message: ..." — AWS
 * joins the KMS type and "KMS Message" without a separator).
 */
export function startFailure(err: AwsError): AwsError {
  const known = START_FAILURES[err.type] ?? { type: 'KMSAccessDeniedException', why: 'KMS access was denied' };
  return new AwsError(
    known.type,
    `Lambda was unable to decrypt the environment variables because ${known.why}. Please check the function's KMS key settings. KMS Exception: ${err.type}KMS Message: ${err.message}`,
  );
}

/** Lambda's CreateFunction/UpdateFunctionConfiguration refusal of a key it cannot grant itself (recorded wording). */
export function configurationFailure(kmsType: string, kmsMessage: string): AwsError {
  return new AwsError(
    'InvalidParameterValueException',
    `Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant. Please check your KMS key settings. KMS Exception: ${kmsType} KMS Message: ${kmsMessage}`,
  );
}

/**
 * Seals and opens a function version's secrets with the KMS key service: environment variables
 * (always encrypted at rest — under the function's key, else `alias/aws/lambda`, as Lambda does)
 * and the binding of its code and layers to that key. Every use names the function as its reason.
 * Without a key service (unit tests of other parts), records stay as given.
 */
export class FunctionSecrets {
  readonly #keys: KeyService | undefined;

  constructor(keys: KeyService | undefined) {
    this.#keys = keys;
  }

  get enabled(): boolean {
    return this.#keys !== undefined;
  }

  /**
   * A KMSKeyArn as CreateFunction/UpdateFunctionConfiguration take it: a KMS key's ARN (the model
   * allows any ARN; Lambda grants itself the key and KMS refuses what is not a key), naming a key
   * that exists and is Enabled — otherwise Lambda's configuration-time refusal with KMS's error
   * inside. The caller's own permission on the key is checked by the API handler.
   */
  checkConfigurableKey(keyArn: string): void {
    if (!/^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(keyArn)) {
      throw configurationFailure('InvalidArnException', `ARN does not refer to a valid KMS key: ${keyArn}`);
    }
    if (!this.#keys) return;
    let arn: string;
    try {
      arn = this.#keys.resolveKeyArn(keyArn);
    } catch (err) {
      if (err instanceof AwsError) throw configurationFailure(err.type, err.message);
      throw err;
    }
    // KMS's own texts for a key that cannot be used (Disabled → DisabledException; PendingDeletion → KMSInvalidStateException).
    const state = this.#keys.keyState(arn);
    if (state === 'Disabled') throw configurationFailure('DisabledException', `${arn} is disabled.`);
    if (state === 'PendingDeletion') throw configurationFailure('KMSInvalidStateException', `${arn} is pending deletion.`);
    if (state !== 'Enabled') throw configurationFailure('KMSInvalidStateException', `${arn} is ${state ?? 'not usable'}.`);
  }

  /** The key a configuration's secrets are sealed with. */
  keyFor(config: FunctionConfiguration): string {
    return config.KMSKeyArn ?? this.#keys!.awsManagedKeyArn('lambda');
  }

  /**
   * The record to store for `rec`. Its Environment is new plaintext when the configuration carries
   * one (a create or update, or a record from before sealing existed), else the sealed one it
   * already has; either way it ends up sealed under the configuration's current key. Ciphertexts
   * that would not change (same key, same variables, same code) are kept, so a version published
   * from it fingerprints the same as before.
   */
  seal(rec: StoredVersionRecord, functionArn: string): StoredVersionRecord {
    if (!this.#keys) return rec;
    const { Environment, ...config } = rec.config;
    const keyArn = this.keyFor(rec.config);
    const use = this.#use(functionArn);
    const prev = rec.sealed?.keyArn === keyArn ? rec.sealed : undefined;
    const sealed: SealedSecrets = { keyArn, codeOf: codeDigest(rec), code: '' };
    let text: string | undefined;
    if (Environment) text = JSON.stringify(Environment.Variables ?? {});
    else if (rec.sealed?.environment !== undefined && !prev) text = this.#reopen(rec, functionArn); // the key changed: re-encrypt
    if (text === undefined) {
      if (prev?.environment !== undefined) sealed.environment = prev.environment;
    } else if (prev?.environment !== undefined && this.#sameEnvironment(rec, functionArn, text)) {
      sealed.environment = prev.environment;
    } else {
      sealed.environment = this.#keys.encrypt(keyArn, Buffer.from(text), envContext(config.FunctionName), use).toString('base64');
    }
    sealed.code = prev && prev.codeOf === sealed.codeOf
      ? prev.code
      : this.#keys.encrypt(keyArn, Buffer.from(sealed.codeOf), codeContext(functionArn), use).toString('base64');
    return { ...rec, config: config as FunctionConfiguration, sealed };
  }

  #reopen(rec: StoredVersionRecord, functionArn: string): string {
    try {
      return this.#openEnvironment(rec, functionArn);
    } catch (err) {
      throw err instanceof AwsError ? startFailure(err) : err;
    }
  }

  #sameEnvironment(rec: StoredVersionRecord, functionArn: string, text: string): boolean {
    try {
      return this.#openEnvironment(rec, functionArn) === text;
    } catch {
      return false;
    }
  }

  /**
   * The configuration as the API shows it: Environment decrypted. When it cannot be decrypted the
   * member carries Lambda's EnvironmentResponse.Error instead of Variables.
   */
  show(rec: StoredVersionRecord, functionArn: string): FunctionConfiguration {
    if (!rec.sealed?.environment) return rec.config;
    try {
      const text = this.#openEnvironment(rec, functionArn);
      return withEnvironment(rec.config, { Variables: JSON.parse(text) as Record<string, string> });
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      const failure = startFailure(err);
      return withEnvironment(rec.config, { Error: { ErrorCode: failure.type, Message: failure.message } });
    }
  }

  /**
   * What an environment starts from: the record with its plaintext Environment, after opening the
   * code binding. Throws Lambda's KMS* errors (502) when the key cannot be used — checked at every
   * cold start, never cached, so re-enabling the key brings the function back.
   */
  open(rec: StoredVersionRecord, functionArn: string): FunctionVersionRecord {
    const sealed = rec.sealed;
    if (!sealed || !this.#keys) return rec;
    try {
      const code = this.#keys.decrypt(Buffer.from(sealed.code, 'base64'), codeContext(functionArn), this.#use(functionArn)).plaintext.toString();
      if (code !== codeDigest(rec) || code !== sealed.codeOf) throw new AwsError('InvalidCiphertextException', 'The code binding does not name this version\'s code.');
      if (sealed.environment === undefined) return rec;
      const text = this.#openEnvironment(rec, functionArn);
      return { ...rec, config: withEnvironment(rec.config, { Variables: JSON.parse(text) as Record<string, string> }) };
    } catch (err) {
      if (err instanceof AwsError) throw startFailure(err);
      throw err;
    }
  }

  #openEnvironment(rec: StoredVersionRecord, functionArn: string): string {
    const blob = Buffer.from(rec.sealed!.environment!, 'base64');
    return this.#keys!.decrypt(blob, envContext(rec.config.FunctionName), this.#use(functionArn)).plaintext.toString();
  }

  #use(functionArn: string): KeyUse {
    return { service: 'lambda', reason: functionArn };
  }
}

/** Lambda's encryption context for environment variables (what the console's encryption helpers use too). */
const envContext = (functionName: string): Record<string, string> => ({ LambdaFunctionName: functionName });
const codeContext = (functionArn: string): Record<string, string> => ({ LambdaFunctionArn: functionArn });

function codeDigest(rec: FunctionVersionRecord): string {
  return JSON.stringify({ code: rec.codeSha256Hex, layers: rec.layerSha256Hex });
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The configuration with its Environment member replaced. */
function withEnvironment(config: FunctionConfiguration, environment: Record<string, unknown>): FunctionConfiguration {
  return { ...config, Environment: environment as FunctionConfiguration['Environment'] };
}
