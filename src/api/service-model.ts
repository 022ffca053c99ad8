import { readFileSync } from 'node:fs';
import { SQS_QUERY_ERRORS, SQS_QUERY_NAMES } from './sqs-query-compat.js';
import { applyLambdaServerConstraints } from './lambda-server-constraints.js';

/** The subset of the Smithy/botocore JSON model that Flint reads. */
export interface Shape {
  type: 'structure' | 'string' | 'integer' | 'long' | 'boolean' | 'list' | 'map' | 'blob' | 'timestamp' | 'double' | 'float';
  members?: Record<string, MemberRef>;
  required?: string[];
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  payload?: string;
  sensitive?: boolean;
  /** Query/XML protocols: lists without a `<member>` wrapper (`Name.1`, repeated elements). */
  flattened?: boolean;
  timestampFormat?: 'iso8601' | 'unixTimestamp' | 'rfc822';
  /** Error shapes: `code` is the query protocol's wire code when it differs from the shape name (IAM's `NoSuchEntity`). */
  error?: { code?: string; httpStatusCode: number; senderFault?: boolean };
  exception?: boolean;
  /** A server-side error (5xx) when the model gives no status. */
  fault?: boolean;
  /** Timestamp shapes can override the protocol's default format. */
  locationName?: string;
}

export interface MemberRef {
  shape: string;
  location?: 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';
  locationName?: string;
  jsonvalue?: boolean;
  flattened?: boolean;
  timestampFormat?: 'iso8601' | 'unixTimestamp' | 'rfc822';
  /** The query protocol's name for a member when it differs (`queryName`, EC2 only). */
  queryName?: string;
}

export interface Operation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: { shape: string };
  /** `resultWrapper`: the query protocol's `<XResult>` element. */
  output?: { shape: string; resultWrapper?: string };
  errors?: Array<{ shape: string }>;
}

export interface ServiceMetadata {
  protocol: string;
  protocols?: string[];
  apiVersion: string;
  endpointPrefix: string;
  signingName?: string;
  serviceId: string;
  jsonVersion?: string;
  targetPrefix?: string;
  xmlNamespace?: string;
  awsQueryCompatible?: Record<string, unknown>;
}

export interface ServiceModel {
  metadata: ServiceMetadata;
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

const loaded = new Map<string, ServiceModel>();

/**
 * A botocore model (Apache-2.0, documentation stripped) from src/api/model/, parsed once on first
 * use: a service nobody calls costs nothing at start.
 */
export function serviceModel(file: string): ServiceModel {
  let m = loaded.get(file);
  if (!m) {
    m = JSON.parse(readFileSync(new URL(`../../src/api/model/${file}.json`, import.meta.url), 'utf8')) as ServiceModel;
    for (const [name, op] of Object.entries(m.operations)) op.name = name;
    if (file === 'lambda-2015-03-31') applyLambdaServerConstraints(m);
    if (file === 'sqs-2012-11-05') {
      for (const [name, error] of Object.entries(SQS_QUERY_ERRORS)) {
        const shape = m.shapes[name];
        if (shape && !shape.error) shape.error = { ...error, senderFault: true };
      }
      for (const [name, item] of Object.entries(SQS_QUERY_NAMES.shapeMembers)) {
        const shape = m.shapes[name];
        if (shape?.member && !shape.member.locationName) shape.member.locationName = item;
      }
      for (const [name, [k, v]] of Object.entries(SQS_QUERY_NAMES.mapEntries)) {
        const shape = m.shapes[name];
        if (shape?.key && shape.value) {
          shape.key.locationName ??= k;
          shape.value.locationName ??= v;
        }
      }
      for (const [path, wire] of Object.entries(SQS_QUERY_NAMES.members)) {
        const [shapeName, member] = path.split('.') as [string, string];
        const ref = m.shapes[shapeName]?.members?.[member];
        if (ref && !ref.locationName) ref.locationName = wire;
      }
    }
    loaded.set(file, m);
  }
  return m;
}

/** The Lambda 2015-03-31 model. */
export function lambdaModel(): ServiceModel {
  return serviceModel('lambda-2015-03-31');
}
