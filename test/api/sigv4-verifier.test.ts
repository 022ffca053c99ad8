import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { SigV4Verifier, credentialScope, type SignedRequest } from '../../src/api/sigv4-verifier.js';
import type { Credential } from '../../src/domain/principal.js';
import { AwsError } from '../../src/domain/errors.js';

/*
 * The verifier on its own, with a fixed clock and a test-local signer that can do what real
 * signers never do (sign with a key derived for another day, put any X-Amz-Expires in a URL), so
 * every rule is checked one at a time.
 */

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
const ROOT: Credential = {
  accessKeyId: 'AKIAVERIFIERTEST0001',
  secretAccessKey: 'verifier-test-secret-0000000000000000000',
  principal: { type: 'Account', arn: 'arn:aws:iam::000000000000:root', accountId: '000000000000', userId: '000000000000' },
};
const SESSION: Credential = {
  accessKeyId: 'ASIAVERIFIERTEST0001',
  secretAccessKey: 'session-secret-000000000000000000000000',
  sessionToken: 'session-token-abc',
  expiresAt: NOW + 60_000,
  principal: { type: 'AssumedRole', arn: 'arn:aws:sts::000000000000:assumed-role/r/s', accountId: '000000000000', userId: 'AROA:s' },
};

function verifier(now = NOW, credentials: Credential[] = [ROOT, SESSION]): SigV4Verifier {
  return new SigV4Verifier({ lookup: (id) => credentials.find((c) => c.accessKeyId === id), region: 'us-east-1', now: () => now });
}

const amz = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const hmac = (k: string | Buffer, d: string) => createHmac('sha256', k).update(d).digest();
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

interface SignOpts {
  method?: string;
  path?: string;
  body?: string;
  at?: number;
  /** The credential scope's date; the day of `at` unless told. */
  scopeDate?: string;
  service?: string;
  region?: string;
  credential?: Credential;
  headers?: Record<string, string>;
  /** Presign: the query carries the signature; `expires` is X-Amz-Expires as sent (omitted when null). */
  presign?: { expires: string | null };
  /** The Date header instead of X-Amz-Date (RFC 7231 form), header signatures only. */
  dateHeader?: boolean;
}

/** Signs like any SigV4 client, but lets the test choose every input, even inconsistent ones. */
function sign(o: SignOpts = {}): SignedRequest {
  const at = o.at ?? NOW;
  const amzDate = amz(at);
  const scopeDate = o.scopeDate ?? amzDate.slice(0, 8);
  const service = o.service ?? 'lambda';
  const region = o.region ?? 'us-east-1';
  const cred = o.credential ?? ROOT;
  const method = o.method ?? 'GET';
  const path = o.path ?? '/2015-03-31/functions';
  const body = Buffer.from(o.body ?? '');
  const scope = `${scopeDate}/${region}/${service}/aws4_request`;
  const headers: Record<string, string> = { host: '127.0.0.1:9000', ...(o.headers ?? {}) };
  const dateValue = o.dateHeader ? new Date(at).toUTCString() : amzDate;
  if (!o.presign) headers[o.dateHeader ? 'date' : 'x-amz-date'] = dateValue;
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const query = new URLSearchParams();
  if (o.presign) {
    query.set('X-Amz-Algorithm', 'AWS4-HMAC-SHA256');
    query.set('X-Amz-Credential', `${cred.accessKeyId}/${scope}`);
    query.set('X-Amz-Date', amzDate);
    if (o.presign.expires !== null) query.set('X-Amz-Expires', o.presign.expires);
    query.set('X-Amz-SignedHeaders', signedHeaders);
    if (cred.sessionToken) query.set('X-Amz-Security-Token', cred.sessionToken);
  }
  const canonicalQuery = [...query.entries()].map(([k, v]) => `${enc(k)}=${enc(v)}`).sort().join('&');
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.trim()}\n`).join('');
  const canonicalUri = path.split('/').map(enc).join('/');
  const canonicalRequest = [method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, sha(body)].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', dateValue, scope, sha(canonicalRequest)].join('\n');
  let key = hmac('AWS4' + cred.secretAccessKey, scopeDate);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (o.presign) {
    query.set('X-Amz-Signature', signature);
  } else {
    headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${cred.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  }
  return { method, rawPath: path, rawQuery: query.toString(), headers, body };
}

function refused(fn: () => unknown, type: string, status: number, message?: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AwsError, `expected an AwsError, got ${String(err)}`);
    assert.equal(err.type, type);
    assert.equal(err.status, status);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

const DAY = 24 * 3600_000;

test('sigv4: a header signature returns the credential with the scope\'s service and region', () => {
  const v = verifier().verify(sign());
  assert.equal(v.credential, ROOT);
  assert.equal(v.service, 'lambda');
  assert.equal(v.region, 'us-east-1');
});

test('sigv4: any service in the scope verifies; serving it is the front door\'s decision', () => {
  for (const service of ['iam', 'sts', 'nosuchservice']) {
    assert.equal(verifier().verify(sign({ service, method: 'POST', path: '/', body: 'Action=GetUser' })).service, service);
  }
});

test('sigv4: a key derived for another day does not sign today\'s request (403, AWS\'s text with both dates)', () => {
  const req = sign({ scopeDate: '20260101' });
  refused(() => verifier().verify(req), 'InvalidSignatureException', 403,
    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260101' != '20260615', from '20260615T120000Z'.");
});

test('sigv4: a scope one day behind the request date is refused even a minute after midnight', () => {
  const at = Date.UTC(2026, 5, 16, 0, 1, 0);
  refused(() => verifier(at).verify(sign({ at, scopeDate: '20260615' })), 'InvalidSignatureException', 403, /'20260615' != '20260616'/);
});

test('sigv4: with a Date header the scope is compared with the ISO-8601 version of that date', () => {
  assert.equal(verifier().verify(sign({ dateHeader: true })).credential, ROOT);
  refused(() => verifier().verify(sign({ dateHeader: true, scopeDate: '20260614' })), 'InvalidSignatureException', 403,
    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260614' != '20260615', from '20260615T120000Z'.");
});

test('sigv4: a presigned URL with a past-day scope is refused like a header signature', () => {
  refused(() => verifier().verify(sign({ presign: { expires: '300' }, scopeDate: '20200101' })), 'InvalidSignatureException', 403, /^Date in Credential scope does not match/);
});

test('sigv4: presigned X-Amz-Expires that is not a number is refused (IncompleteSignature 400)', () => {
  for (const expires of ['abc', '', '1e3', '12.5', ' 60', '0x10', '99999999999999999999999']) {
    refused(() => verifier().verify(sign({ presign: { expires } })), 'IncompleteSignatureException', 400, 'X-Amz-Expires should be a number');
  }
});

test('sigv4: presigned X-Amz-Expires above 604800 seconds (7 days) is refused with AWS\'s text', () => {
  for (const expires of ['604801', '1000000000000']) {
    refused(() => verifier().verify(sign({ presign: { expires } })), 'IncompleteSignatureException', 400,
      'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds');
  }
});

test('sigv4: a negative X-Amz-Expires is refused', () => {
  refused(() => verifier().verify(sign({ presign: { expires: '-1' } })), 'IncompleteSignatureException', 400, 'X-Amz-Expires must be non-negative');
});

test('sigv4: a 7-day presigned URL works until its last second and expires after it', () => {
  const at = NOW - 7 * DAY + 1000;
  const req = sign({ at, presign: { expires: '604800' } });
  assert.equal(verifier().verify(req).credential, ROOT);
  refused(() => verifier(NOW + 2000).verify(req), 'InvalidSignatureException', 403, /^Signature expired: \d{8}T\d{6}Z is now earlier than .* - 604800 sec\.\)$/);
});

test('sigv4: a presigned URL expires after its own X-Amz-Expires', () => {
  const req = sign({ at: NOW - 61_000, presign: { expires: '60' } });
  refused(() => verifier().verify(req), 'InvalidSignatureException', 403, /^Signature expired:/);
  assert.equal(verifier(NOW - 30_000).verify(req).credential, ROOT);
});

test('sigv4: a presigned URL without X-Amz-Expires lives 15 minutes', () => {
  const req = sign({ at: NOW - 14 * 60_000, presign: { expires: null } });
  assert.equal(verifier().verify(req).credential, ROOT);
  refused(() => verifier(NOW + 2 * 60_000).verify(req), 'InvalidSignatureException', 403, /^Signature expired:/);
});

test('sigv4: a presigned URL dated more than 15 minutes ahead is not yet current', () => {
  refused(() => verifier().verify(sign({ at: NOW + 20 * 60_000, presign: { expires: '3600' } })), 'InvalidSignatureException', 403, /^Signature not yet current:/);
});

test('sigv4: a header signature more than 15 minutes old or ahead is refused', () => {
  refused(() => verifier().verify(sign({ at: NOW - 16 * 60_000 })), 'InvalidSignatureException', 403, /^Signature expired: .* - 15 min\.\)$/);
  refused(() => verifier().verify(sign({ at: NOW + 16 * 60_000 })), 'InvalidSignatureException', 403, /^Signature not yet current: .* \+ 15 min\.\)$/);
});

test('sigv4: temporary credentials need their session token', () => {
  const withToken = sign({ credential: SESSION, headers: { 'x-amz-security-token': SESSION.sessionToken! } });
  assert.equal(verifier().verify(withToken).credential, SESSION);
  refused(() => verifier().verify(sign({ credential: SESSION })), 'UnrecognizedClientException', 403, 'The security token included in the request is invalid.');
  refused(() => verifier().verify(sign({ credential: SESSION, headers: { 'x-amz-security-token': 'forged' } })), 'UnrecognizedClientException', 403, 'The security token included in the request is invalid.');
});

test('sigv4: temporary credentials at or past their expiry are ExpiredTokenException', () => {
  const at = SESSION.expiresAt!;
  const req = sign({ at, credential: SESSION, headers: { 'x-amz-security-token': SESSION.sessionToken! } });
  refused(() => verifier(at).verify(req), 'ExpiredTokenException', 403, 'The security token included in the request is expired');
  assert.equal(verifier(at - 1).verify(req).credential, SESSION);
});

test('sigv4: a presigned URL with temporary credentials carries the token in X-Amz-Security-Token', () => {
  assert.equal(verifier().verify(sign({ credential: SESSION, presign: { expires: '60' } })).credential, SESSION);
});

test('sigv4: an unknown access key is UnrecognizedClientException', () => {
  const stranger: Credential = { ...ROOT, accessKeyId: 'AKIASTRANGER00000000' };
  refused(() => verifier().verify(sign({ credential: stranger })), 'UnrecognizedClientException', 403, 'The security token included in the request is invalid.');
});

test('sigv4: another region, or a scope without the aws4_request terminator, is InvalidSignatureException', () => {
  refused(() => verifier().verify(sign({ region: 'eu-west-1' })), 'InvalidSignatureException', 403, /^Credential should be scoped to a valid region/);
  const req = sign();
  req.headers['authorization'] = String(req.headers['authorization']).replace('/aws4_request', '/aws5_request');
  refused(() => verifier().verify(req), 'InvalidSignatureException', 403, "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ");
});

test('sigv4: a credential without five slash-delimited elements is IncompleteSignatureException', () => {
  const req = sign();
  req.headers['authorization'] = String(req.headers['authorization']).replace(/Credential=[^,]+/, 'Credential=AKIA/20260615/us-east-1/lambda');
  refused(() => verifier().verify(req), 'IncompleteSignatureException', 400, /^Credential must have exactly 5 slash-delimited elements/);
});

test('sigv4: a body changed after signing fails the signature', () => {
  const req = sign({ method: 'POST', body: '{"a":1}' });
  req.body = Buffer.from('{"a":2}');
  refused(() => verifier().verify(req), 'InvalidSignatureException', 403, /^The request signature we calculated does not match/);
});

test('sigv4: an unsigned request is MissingAuthenticationTokenException', () => {
  refused(() => verifier().verify({ method: 'GET', rawPath: '/', rawQuery: '', headers: {}, body: Buffer.alloc(0) }), 'MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
});

test('credentialScope: reads the Authorization header\'s scope without verifying it', () => {
  const req = sign({ service: 'iam', credential: { ...ROOT, secretAccessKey: 'wrong' } });
  assert.deepEqual(credentialScope(req.headers, req.rawQuery), { accessKeyId: ROOT.accessKeyId, date: '20260615', region: 'us-east-1', service: 'iam' });
});

test('credentialScope: reads a presigned URL\'s X-Amz-Credential', () => {
  const req = sign({ service: 'sts', presign: { expires: '60' } });
  assert.deepEqual(credentialScope(req.headers, req.rawQuery), { accessKeyId: ROOT.accessKeyId, date: '20260615', region: 'us-east-1', service: 'sts' });
});

test('credentialScope: undefined when unsigned, malformed, or not SigV4', () => {
  assert.equal(credentialScope({}, ''), undefined);
  assert.equal(credentialScope({}, 'Action=GetUser'), undefined);
  assert.equal(credentialScope({ authorization: 'Bearer abc' }, ''), undefined);
  assert.equal(credentialScope({ authorization: 'AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00' }, ''), undefined);
  assert.equal(credentialScope({ authorization: 'AWS4-HMAC-SHA256 Credential=AKIA//us-east-1/iam/aws4_request' }, ''), undefined);
  assert.equal(credentialScope({ authorization: 'AWS4-HMAC-SHA256 Credential=AKIA/20260615/us-east-1/iam' }, ''), undefined);
  // The header form wins over the query form, as in verify.
  assert.equal(credentialScope({ authorization: 'Bearer abc' }, 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20260615%2Fus-east-1%2Fiam%2Faws4_request'), undefined);
  // X-Amz-Credential alone is no presigned request: verify answers MissingAuthenticationToken.
  assert.equal(credentialScope({}, 'X-Amz-Credential=AKIA%2F20260615%2Fus-east-1%2Fiam%2Faws4_request'), undefined);
});
