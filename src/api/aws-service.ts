import type { AwsError } from '../domain/errors.js';
import type { OperationHandlers } from './request-context.js';
import { serviceModel, type ServiceModel } from './service-model.js';
import { ShapeValidator } from './shape-validator.js';
import type { Protocol, ProtocolRequest } from './protocols/protocol.js';
import { RestJsonProtocol } from './protocols/rest-json-protocol.js';
import { AwsJsonProtocol } from './protocols/aws-json-protocol.js';
import { AwsQueryProtocol } from './protocols/aws-query-protocol.js';
import { RpcV2CborProtocol } from './protocols/rpc-v2-cbor-protocol.js';

/** Operations that skip the model's constraint check on some members (their service validates them with AWS's own wording). */
export type ValidationSkips = Partial<Record<string, ReadonlySet<string>>>;

/** Request-size ceilings per operation, as AWS enforces them before the operation runs. */
export type BodyLimits = Partial<Record<string, { bytes: number; error: (operation: string, bytes: number) => AwsError }>>;

/** One AWS service on Flint's endpoint: its model, the handlers Flint implements, and its limits. */
export interface AwsServiceDefinition {
  /** The file under src/api/model/ (botocore model, documentation stripped). */
  model: string;
  /** SigV4 signing name, when it differs from the model's endpointPrefix (CloudWatch signs as `monitoring`). */
  signingName?: string;
  handlers: OperationHandlers;
  validationSkips?: ValidationSkips;
  bodyLimits?: BodyLimits;
  /** Body ceiling for operations without their own limit (1 MiB). */
  defaultBodyLimit?: number;
  /**
   * The error type the service answers model-validation failures with (default ValidationException):
   * CloudWatch Logs says `InvalidParameterException` "1 validation error detected: …".
   */
  validationErrorType?: string;
}

const PROTOCOLS = {
  'rest-json': RestJsonProtocol,
  json: AwsJsonProtocol,
  query: AwsQueryProtocol,
  'smithy-rpc-v2-cbor': RpcV2CborProtocol,
} as const;
type ProtocolName = keyof typeof PROTOCOLS;

/**
 * A service as the front door serves it: the model is parsed and the protocols built on first use
 * (a service nobody calls costs nothing at start). Every protocol the model allows is served —
 * real clients of different ages pick different ones (CloudWatch: CBOR from current botocore, JSON
 * from SDK v3, query from the Debian CLI) — and SQS also answers query, as its JSON-era model
 * still does for older clients (`awsQueryCompatible`).
 */
export class AwsService {
  readonly definition: AwsServiceDefinition;
  #model: ServiceModel | undefined;
  #validator: ShapeValidator | undefined;
  readonly #protocols = new Map<ProtocolName, Protocol>();

  constructor(definition: AwsServiceDefinition) {
    this.definition = definition;
  }

  get model(): ServiceModel {
    return (this.#model ??= serviceModel(this.definition.model));
  }

  get signingName(): string {
    return this.definition.signingName ?? this.model.metadata.signingName ?? this.model.metadata.endpointPrefix;
  }

  get validator(): ShapeValidator {
    return (this.#validator ??= new ShapeValidator(this.model));
  }

  #supported(): ProtocolName[] {
    const m = this.model.metadata;
    const list = (m.protocols ?? [m.protocol]) as ProtocolName[];
    return m.awsQueryCompatible && !list.includes('query') ? [...list, 'query'] : list;
  }

  #protocol(name: ProtocolName): Protocol {
    let p = this.#protocols.get(name);
    if (!p) this.#protocols.set(name, (p = new PROTOCOLS[name](this.model)));
    return p;
  }

  /** The protocol this request speaks: CBOR by its header, json by X-Amz-Target, query by its form; else the model's own. */
  protocolFor(req: Pick<ProtocolRequest, 'method' | 'headers' | 'query'>): Protocol {
    const supported = this.#supported();
    if (supported.length > 1) {
      if (supported.includes('smithy-rpc-v2-cbor') && RpcV2CborProtocol.applies(req.headers)) return this.#protocol('smithy-rpc-v2-cbor');
      if (supported.includes('json') && req.headers['x-amz-target'] !== undefined) return this.#protocol('json');
      if (supported.includes('query') && AwsQueryProtocol.applies(req.method, req.headers, req.query)) return this.#protocol('query');
    }
    return this.#protocol(supported[0]!);
  }

  /** For requests with no credential scope: does this look like a request to this service? */
  claims(req: Pick<ProtocolRequest, 'rawPath' | 'headers'>, form: URLSearchParams | undefined): boolean {
    const m = this.model.metadata;
    const target = req.headers['x-amz-target'];
    if (m.targetPrefix && typeof target === 'string') return target.startsWith(`${m.targetPrefix}.`);
    if (m.targetPrefix && req.rawPath.startsWith(`/service/${m.targetPrefix}/`)) return true;
    return form !== undefined && form.get('Version') === m.apiVersion && this.#supported().includes('query');
  }
}
