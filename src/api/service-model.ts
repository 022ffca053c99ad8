import { readFileSync } from 'node:fs';

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
  error?: { httpStatusCode: number; senderFault?: boolean };
  exception?: boolean;
}

export interface MemberRef {
  shape: string;
  location?: 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';
  locationName?: string;
  jsonvalue?: boolean;
}

export interface Operation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: { shape: string };
  output?: { shape: string };
  errors?: Array<{ shape: string }>;
}

export interface ServiceModel {
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

let cached: ServiceModel | undefined;

/** The Lambda 2015-03-31 model (botocore, Apache-2.0), trimmed of documentation. */
export function lambdaModel(): ServiceModel {
  cached ??= JSON.parse(
    readFileSync(new URL('../../src/api/model/lambda-2015-03-31.json', import.meta.url), 'utf8'),
  ) as ServiceModel;
  return cached;
}
