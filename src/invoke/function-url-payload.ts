/**
 * The two translations a function URL makes (Lambda developer guide, "Invoking Lambda function
 * URLs"; API Gateway payload format version 2.0): an HTTP request → the event, the function's
 * output → an HTTP response. Pure: the route supplies the request's facts and writes the result.
 */

/** The facts of one request, as the route read them. */
export interface UrlRequestFacts {
  method: string;
  /** The path the function sees (the path form's `/lambda-url/<id>` prefix removed). */
  rawPath: string;
  /** After `?`, as sent (not decoded). */
  rawQueryString: string;
  /** Node's `rawHeaders`: name, value, name, value … in arrival order, repeated names kept. */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  /** `HTTP/1.1`. */
  protocol: string;
  urlId: string;
  domainName: string;
  requestId: string;
  nowMs: number;
  /** The function owner's account for AWS_IAM URLs; `anonymous` for NONE (as Lambda sends). */
  accountId: string;
  /** AWS_IAM: the verified caller, for requestContext.authorizer.iam. */
  iam?: { accessKey: string; accountId: string; callerId: string; userArn: string; userId: string };
  /** Headers Lambda's front end adds (x-amzn-trace-id, x-forwarded-*). */
  added: Record<string, string>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** requestContext.time: `dd/MMM/yyyy:HH:mm:ss +0000`. */
export function requestTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/**
 * Bodies Lambda passes as text; everything else (a missing Content-Type and form posts included)
 * arrives base64 with isBase64Encoded true — the split AWS's payload 2.0 shows for text/*, JSON,
 * XML and JavaScript types.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const t = contentType.split(';')[0]!.trim().toLowerCase();
  return t.startsWith('text/') || t === 'application/json' || t === 'application/xml' || t === 'application/javascript' || t.endsWith('+json') || t.endsWith('+xml');
}

/** The payload 2.0 event for one request, members in Lambda's order; absent ones (no query, cookies, body) left out as Lambda does. */
export function buildUrlEvent(f: UrlRequestFacts): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < f.rawHeaders.length; i += 2) {
    const name = f.rawHeaders[i]!.toLowerCase();
    const value = f.rawHeaders[i + 1]!;
    // Cookies move to their own array (one entry per cookie); repeated headers join with commas.
    if (name === 'cookie') {
      for (const c of value.split(';')) if (c.trim() !== '') cookies.push(c.trim());
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  for (const [name, value] of Object.entries(f.added)) headers[name] ??= value;
  const query = queryParameters(f.rawQueryString);
  const contentType = headers['content-type'];
  const binary = f.body.length > 0 && !isTextContentType(contentType);
  const userAgent = headers['user-agent'] ?? '';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: f.rawPath,
    rawQueryString: f.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: f.accountId,
      apiId: f.urlId,
      ...(f.iam ? { authorizer: { iam: { accessKey: f.iam.accessKey, accountId: f.iam.accountId, callerId: f.iam.callerId, cognitoIdentity: null, principalOrgId: null, userArn: f.iam.userArn, userId: f.iam.userId } } } : {}),
      domainName: f.domainName,
      domainPrefix: f.urlId,
      http: { method: f.method, path: f.rawPath, protocol: f.protocol, sourceIp: f.sourceIp, userAgent },
      requestId: f.requestId,
      routeKey: '$default',
      stage: '$default',
      time: requestTime(f.nowMs),
      timeEpoch: f.nowMs,
    },
    ...(f.body.length > 0 ? { body: binary ? f.body.toString('base64') : f.body.toString('utf8') } : {}),
    isBase64Encoded: binary,
  };
}

/** queryStringParameters: decoded names and values, a repeated name's values joined with commas. */
function queryParameters(raw: string): Record<string, string> | undefined {
  if (raw === '') return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(raw)) out[k] = out[k] === undefined ? v : `${out[k]},${v}`;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** An HTTP response inferred from a function's output. */
export interface UrlResponse {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

/**
 * Lambda's inference: output that is a JSON object with `statusCode` describes the response
 * (statusCode, headers, cookies → Set-Cookie, body, isBase64Encoded); any other JSON is the body of
 * a 200 `application/json` response — a JSON string's value itself, other values the output's text
 * (recorded: test_lambda.snapshot.json, TestLambdaURL::test_lambda_url_invocation). Undefined when
 * the output cannot make a response (Lambda's 502).
 */
export function inferUrlResponse(output: Buffer): UrlResponse | undefined {
  const text = output.toString('utf8');
  let value: unknown;
  try {
    value = text.trim() === '' ? null : JSON.parse(text);
  } catch {
    return undefined;
  }
  const plain = (body: string): UrlResponse => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(body) });
  if (typeof value === 'string') return plain(value);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('statusCode' in value)) return plain(text.trim());
  const r = value as { statusCode: unknown; headers?: unknown; cookies?: unknown; body?: unknown; isBase64Encoded?: unknown };
  if (typeof r.statusCode !== 'number' || !Number.isInteger(r.statusCode) || r.statusCode < 100 || r.statusCode > 599) return undefined;
  const headers: Record<string, string> = {};
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object' || Array.isArray(r.headers)) return undefined;
    for (const [k, v] of Object.entries(r.headers as Record<string, unknown>)) {
      if (v === null || typeof v === 'object') return undefined;
      headers[k.toLowerCase()] = String(v);
    }
  }
  const cookies: string[] = [];
  if (r.cookies !== undefined && r.cookies !== null) {
    if (!Array.isArray(r.cookies)) return undefined;
    for (const c of r.cookies) cookies.push(String(c));
  }
  headers['content-type'] ??= 'application/json';
  let body = Buffer.alloc(0);
  if (r.body !== undefined && r.body !== null) {
    const s = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    body = r.isBase64Encoded === true ? Buffer.from(s, 'base64') : Buffer.from(s);
  }
  return { statusCode: r.statusCode, headers, cookies, body };
}
