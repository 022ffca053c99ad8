import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { createHash, createHmac } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import { decode as cborDecode, encode as cborEncode } from 'cbor-x';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';

/*
 * The front door under thousands of generated requests from a seeded PRNG, over raw sockets so that
 * nothing a client library refuses to send is left out: HTTP garbage, unsigned and forged requests,
 * and correctly signed requests with mutated paths, methods, queries, headers, dates, scopes and
 * bodies. The promise checked: Flint keeps serving, never answers 5xx, every response carries
 * x-amzn-RequestId, and every refusal is an AWS-shaped error of some protocol.
 *
 * Reproduce a run with FLINT_FUZZ_SEED=<seed> (and FLINT_FUZZ_COUNT=<n>).
 */

const SEED = Number(process.env['FLINT_FUZZ_SEED'] ?? 20260615);
const COUNT = Number(process.env['FLINT_FUZZ_COUNT'] ?? 5000);
const BATCH = 200;
const CONCURRENCY = 24;
/** Without an answer after this long the client half-closes: a truncated request must then be refused. */
const IDLE_MS = 2_500;
const REGION = 'us-east-1';

let h: Harness;
let port: number;
before(async () => {
  h = await startHarness();
  port = Number(new URL(h.endpoint).port);
});
after(async () => { await h.stop(); });

// ---------------------------------------------------------------------------------------------
// Raw HTTP exchange

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function exchange(parts: Buffer[], opts: { halfClose?: boolean; head?: boolean } = {}): Promise<Reply | undefined> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    let halfClosed = false;
    const finish = (r: Reply | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    const idle = () => {
      if (!halfClosed) {
        halfClosed = true;
        s.end();
        timer = setTimeout(idle, IDLE_MS);
      } else finish(parseReply(buf, opts.head ?? false, true));
    };
    let timer = setTimeout(idle, IDLE_MS);
    s.on('error', () => {});
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const r = parseReply(buf, opts.head ?? false, false);
      if (r) finish(r);
    });
    s.on('close', () => finish(parseReply(buf, opts.head ?? false, true)));
    s.on('connect', () => {
      for (const p of parts) s.write(p);
      if (opts.halfClose) {
        halfClosed = true;
        s.end();
      }
    });
  });
}

/** The first final response in `buf`, once complete (or whatever arrived, at close). */
function parseReply(buf: Buffer, head: boolean, closed: boolean): Reply | undefined {
  let at = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', at);
    if (end < 0) return undefined;
    const lines = buf.subarray(at, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!m) return undefined;
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      const k = l.slice(0, i).trim().toLowerCase();
      headers[k] = headers[k] !== undefined ? `${headers[k]}, ${l.slice(i + 1).trim()}` : l.slice(i + 1).trim();
    }
    const bodyStart = end + 4;
    if (status < 200) {
      at = bodyStart;
      continue;
    }
    if (head || status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0) };
    if (headers['transfer-encoding']?.includes('chunked')) {
      const chunks: Buffer[] = [];
      let p = bodyStart;
      for (;;) {
        const nl = buf.indexOf('\r\n', p);
        if (nl < 0) return closed ? { status, headers, body: Buffer.concat(chunks) } : undefined;
        const size = parseInt(buf.subarray(p, nl).toString('latin1'), 16);
        if (size === 0) return { status, headers, body: Buffer.concat(chunks) };
        if (buf.length < nl + 2 + size + 2) return closed ? { status, headers, body: Buffer.concat(chunks) } : undefined;
        chunks.push(buf.subarray(nl + 2, nl + 2 + size));
        p = nl + 2 + size + 2;
      }
    }
    if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (buf.length >= bodyStart + n) return { status, headers, body: buf.subarray(bodyStart, bodyStart + n) };
      return closed ? { status, headers, body: buf.subarray(bodyStart) } : undefined;
    }
    return closed ? { status, headers, body: buf.subarray(bodyStart) } : undefined;
  }
}

function serialize(method: string, target: string, headers: Array<[string, string]>, body: Buffer, version = 'HTTP/1.1'): Buffer {
  const head = `${method} ${target} ${version}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

// ---------------------------------------------------------------------------------------------
// SigV4, with every input under the generator's control

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const hmac = (k: string | Buffer, d: string) => createHmac('sha256', k).update(d).digest();
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const amzDate = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

interface SignSpec {
  method: string;
  path: string;
  query: Array<[string, string]>;
  headers: Array<[string, string]>;
  body: Buffer;
  service: string;
  region?: string;
  at?: number;
  scopeDate?: string;
  accessKeyId?: string;
  secret?: string;
  presignExpires?: string | null;
}

/** Returns the query string and headers of a signed request (header form, or presigned when presignExpires is set). */
function sign(s: SignSpec): { query: string; headers: Array<[string, string]> } {
  const at = s.at ?? Date.now();
  const date = amzDate(at);
  const scope = `${s.scopeDate ?? date.slice(0, 8)}/${s.region ?? REGION}/${s.service}/aws4_request`;
  const keyId = s.accessKeyId ?? TEST_CREDENTIALS.accessKeyId;
  const headers: Array<[string, string]> = [...s.headers];
  const presign = s.presignExpires !== undefined;
  if (!presign) headers.push(['x-amz-date', date]);
  const byName = new Map<string, string>();
  for (const [k, v] of headers) {
    const n = k.toLowerCase();
    byName.set(n, byName.has(n) ? `${byName.get(n)},${v.trim()}` : v.trim());
  }
  const names = [...byName.keys()].sort();
  const signedHeaders = names.join(';');
  const query: Array<[string, string]> = [...s.query];
  if (presign) {
    query.push(['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'], ['X-Amz-Credential', `${keyId}/${scope}`], ['X-Amz-Date', date], ['X-Amz-SignedHeaders', signedHeaders]);
    if (s.presignExpires !== null) query.push(['X-Amz-Expires', s.presignExpires!]);
  }
  const canonicalQuery = query.map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const canonicalHeaders = names.map((n) => `${n}:${byName.get(n)!.replace(/\s+/g, ' ')}\n`).join('');
  const canonicalUri = s.path === '' || s.path === '/' ? '/' : s.path.split('/').map(rfc3986).join('/');
  const canonicalRequest = [s.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, sha(s.body)].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha(canonicalRequest)].join('\n');
  let key = hmac('AWS4' + (s.secret ?? TEST_CREDENTIALS.secretAccessKey), scope.slice(0, 8));
  for (const part of scope.split('/').slice(1)) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  const qs = (q: Array<[string, string]>) => q.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
  if (presign) return { query: qs([...query, ['X-Amz-Signature', signature]]), headers };
  return { query: qs(query), headers: [...headers, ['authorization', `AWS4-HMAC-SHA256 Credential=${keyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`]] };
}

// ---------------------------------------------------------------------------------------------
// The generator

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  label: string;
  parts: Buffer[];
  halfClose?: boolean;
  head?: boolean;
  /** Forged and unsigned requests to the API (not the unsigned plain routes) must never succeed. */
  mustRefuse?: boolean;
}

const PLAIN_ROUTES = ['/health', '/metrics', '/flint/code/'];
const isApiPath = (path: string) => !PLAIN_ROUTES.some((p) => path.startsWith(p));

class Generator {
  readonly #r: () => number;
  constructor(seed: number) { this.#r = prng(seed); }

  int(lo: number, hi: number): number { return lo + Math.floor(this.#r() * (hi - lo + 1)); }
  chance(p: number): boolean { return this.#r() < p; }
  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.#r() * xs.length)]!; }
  str(n: number, alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.'): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.#r() * alphabet.length)];
    return s;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.#r() * 256);
    return b;
  }

  /** This case's Host header: now and then one that is no valid URL authority. */
  #host = `127.0.0.1:${port}`;

  next(): Case {
    this.#host = this.chance(0.05) ? this.pick(['[', 'a b', '', 'x:99999', '%', '@', '\u00e9vil', 'a/b', 'user:pw@x', 'x'.repeat(300)]) : `127.0.0.1:${port}`;
    const roll = this.#r();
    const c = roll < 0.22 ? this.rawGarbage() : roll < 0.34 ? this.unsigned() : roll < 0.5 ? this.forged() : this.signed();
    if (this.#host !== `127.0.0.1:${port}` && !c.label.startsWith('raw:')) c.label += ` (Host: ${JSON.stringify(this.#host.slice(0, 20))})`;
    return c;
  }

  segment(): string {
    // Half the time percent-encoding garbage: decoders that throw on it are the classic 500.
    if (this.chance(0.5)) return this.pick(['%ZZ', '%', '%2', '%00', '%E2%98', '%C0%AF', '%FF', '%%', '%u0041', `${this.str(3)}%${this.str(1)}`]);
    return this.pick([
      'my-function', 'nope', '%ZZ', '%', '%2', '%00', '..', '.', '%2e%2e', '%2F', '%E2%98', '%E2%98%83', ';', '@', ':', '*', '~', "'",
      'arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Anope', 'arn:aws:lambda:us-east-1:000000000000:function:nope:$LATEST',
      'a'.repeat(this.int(65, 300)), 'b'.repeat(this.int(1000, 9000)), this.str(this.int(1, 40)), '%25', '%u0041', '+', '%20', '$LATEST',
    ]);
  }

  lambdaPath(): string {
    const fn = this.segment();
    if (this.chance(0.08)) return `/flint/code/${fn}`;
    const p = this.pick([
      '/2015-03-31/functions', '/2015-03-31/functions/', `/2015-03-31/functions/${fn}`, `/2015-03-31/functions/${fn}/invocations`,
      `/2015-03-31/functions/${fn}/configuration`, `/2017-10-31/functions/${fn}/concurrency`, `/2015-03-31/functions/${fn}/policy`,
      `/2015-03-31/functions/${fn}/versions`, `/2015-03-31/functions/${fn}/aliases/${this.segment()}`, '/2018-10-31/layers',
      `/2018-10-31/layers/${fn}/versions`, `/2018-10-31/layers/${fn}/versions/${this.pick(['1', '0', '-1', 'x', '99999999999999999999'])}`,
      '/2015-03-31/event-source-mappings/', `/2019-09-25/functions/${fn}/event-invoke-config`, `/2017-03-31/tags/${fn}`,
      '/2016-08-19/account-settings/', `/2021-10-31/functions/${fn}/url`, `/2014-11-13/functions/${fn}/invoke-async/`,
      `/flint/code/${fn}`, '/flint/code/', '/', '', `/${fn}`, `/${fn}/${this.segment()}/${this.segment()}`, '/2015-03-31/functions/../../etc/passwd',
      `/service/GraniteServiceVersion20100801/operation/${this.pick(['GetMetricData', 'ListMetrics', 'Nope', '%ZZ', ''])}`, '/service/', '/health/../x', '/metrics/../y',
    ]);
    return p === '' ? '/' : p;
  }

  query(): Array<[string, string]> {
    const q: Array<[string, string]> = [];
    const n = this.pick([0, 0, 0, 1, 1, 2, 3]);
    for (let i = 0; i < n; i++) {
      q.push(this.pick<[string, string]>([
        ['Qualifier', this.pick(['1', '$LATEST', '%ZZ', '', 'x'.repeat(200)])], ['MaxItems', this.pick(['abc', '-1', '0', '99999999999999999999', '1e3', '10'])],
        ['Marker', this.str(this.int(0, 500))], ['find', 'LayerVersion'], ['Arn', this.pick(['', 'arn:aws:lambda:us-east-1:000000000000:layer:x:1', '%ZZ'])],
        ['FunctionVersion', this.pick(['ALL', 'x'])], ['Action', this.pick(['GetUser', 'GetCallerIdentity', 'ListUsers', 'MakeCoffee', ''])],
        ['Version', this.pick(['2010-05-08', '2011-06-15', 'x'])], ['X-Amz-Expires', this.pick(['abc', '1000000000000', '-1', '60'])],
        ['X-Amz-Date', this.pick(['20200101T000000Z', 'x'])], ['X-Amz-Algorithm', this.pick(['AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512', ''])],
        ['X-Amz-Credential', this.pick([`${TEST_CREDENTIALS.accessKeyId}/20200101/${REGION}/lambda/aws4_request`, 'x/y', ''])],
        ['X-Amz-Signature', this.pick(['00', 'zz', ''])], ['X-Amz-Security-Token', this.str(20)], [this.str(this.int(1, 10)), this.str(this.int(0, 10))],
        ['', ''], ['a', 'b c'], ['\u2603', '\u00e9'],
      ]));
    }
    return q;
  }

  body(): { body: Buffer; contentType?: string } {
    const deep = this.int(10, 30_000);
    return this.pick([
      () => ({ body: Buffer.alloc(0) }),
      () => ({ body: Buffer.from(this.pick(['{', '}', 'null', '[]', '"s"', '1', 'true', '{"a":', '{"a":1,}', "{'a':1}", '\ufeff{}'])), contentType: 'application/json' }),
      () => ({ body: Buffer.from(JSON.stringify(this.pick<unknown>([
        { FunctionName: 5 }, { FunctionName: 'x'.repeat(200) }, { MemorySize: 'big' }, { ReservedConcurrentExecutions: -1 },
        { ReservedConcurrentExecutions: 1e308 }, { Timeout: [1] }, { Role: {} }, { Code: { ZipFile: '!!!notbase64' } }, { Tags: { '': '' } },
        { Environment: { Variables: { A: 1 } } }, { Layers: 'x' }, { Runtime: 'cobol' }, { __proto__: { polluted: true } }, { constructor: { prototype: { x: 1 } } },
      ]))), contentType: 'application/json' }),
      () => ({ body: Buffer.from(this.pick(['{"ReservedConcurrentExecutions": 99999999999999999999999999999}', '{"MemorySize": 1e400}', '{"Timeout": -0}', '{"a": 123456789012345678901234567890e-400}'])), contentType: 'application/json' }),
      () => ({ body: Buffer.from('['.repeat(deep) + ']'.repeat(deep)), contentType: 'application/json' }),
      () => ({ body: Buffer.from('{"a":'.repeat(deep) + '1' + '}'.repeat(deep)), contentType: 'application/json' }),
      () => ({ body: Buffer.from(new URLSearchParams({ Action: this.pick(['GetUser', 'ListUsers', 'GetCallerIdentity', 'MakeCoffee', 'GetRole', '']), Version: this.pick(['2010-05-08', '2011-06-15', 'x']), UserName: this.pick(['nobody', '', 'x'.repeat(200)]), 'Tags.member.1.Key': 'k', 'Tags.member.99999999999.Key': 'k' }).toString()), contentType: 'application/x-www-form-urlencoded; charset=utf-8' }),
      () => ({ body: Buffer.from('Action=GetUser&%ZZ=1&UserName=%&&=&Version'), contentType: 'application/x-www-form-urlencoded' }),
      () => ({ body: this.bytes(this.int(1, 300)), contentType: 'application/cbor' }),
      () => ({ body: Buffer.from(cborEncode(this.pick([{ a: 1 }, [1, 2, 3], 'x', { MetricDataQueries: 'x' }, { StartTime: 'yesterday' }, { Namespace: 5 }, new Map([[1, 2]])]))), contentType: 'application/cbor' }),
      () => ({ body: Buffer.from([0x9f, 0x9f, 0x9f, 0x9f, 0xbf, 0xbf, 0x5f, 0x7f]), contentType: 'application/cbor' }),
      () => ({ body: Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1]), contentType: 'application/json' }),
      () => ({ body: this.bytes(this.int(1, 2000)) }),
      () => ({ body: gzipSync(Buffer.from('{"a":1}')).subarray(0, 10), contentType: 'application/x-amz-json-1.1' }),
      () => ({ body: Buffer.alloc(this.pick([1_048_577, 6 * 1_048_576 + 1, 262_145]), 0x61), contentType: 'application/json' }),
    ])();
  }

  extraHeaders(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    const n = this.pick([0, 0, 1, 1, 2, 3]);
    for (let i = 0; i < n; i++) {
      out.push(this.pick<[string, string]>([
        ['x-amz-target', this.pick(['', 'TrentService.ListKeys', 'TrentService.', 'AmazonSQS.SendMessage', 'Logs_20140328.PutLogEvents', 'GraniteServiceVersion20100801.GetMetricData', 'Nope.Nope', 'AWSLambda.Invoke', 'x'.repeat(2000)])],
        ['content-type', this.pick(['application/json', 'application/x-amz-json-1.0', 'application/x-amz-json-1.1', 'application/cbor', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'garbage/', ';;;'])],
        ['smithy-protocol', this.pick(['rpc-v2-cbor', 'rpc-v3', ''])], ['accept', this.pick(['application/cbor', 'application/json', 'text/xml', '*/*'])],
        ['content-encoding', this.pick(['gzip', 'br', 'identity', 'x'])], ['x-amz-invocation-type', this.pick(['Event', 'DryRun', 'RequestResponse', 'Nope', ''])],
        ['x-amz-log-type', this.pick(['Tail', 'None', 'x'])], ['x-amz-client-context', this.pick(['!!!', 'e30=', 'x'.repeat(5000)])],
        ['x-amz-security-token', this.str(this.int(0, 100))], ['x-amz-content-sha256', this.pick(['UNSIGNED-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', '00', sha('')])],
        ['x-forwarded-for', '10.0.0.1'], ['x-amz-user-agent', this.str(50)], ['range', 'bytes=0-1'], ['if-match', '*'], ['cookie', `a=${this.str(100)}`],
      ]));
    }
    return out;
  }

  /** A service and a request in (mostly) that service's protocol. */
  target(service: string): { method: string; path: string; query: Array<[string, string]>; headers: Array<[string, string]>; body: Buffer } {
    const cross = this.chance(0.2);
    const style = cross ? this.pick(['rest', 'query', 'json', 'cbor']) :
      service === 'lambda' || service === 'xray' || service === 'scheduler' ? 'rest' :
      service === 'iam' || service === 'sts' ? 'query' :
      service === 'monitoring' ? this.pick(['cbor', 'json', 'query']) : 'json';
    const headers = this.extraHeaders();
    let method = this.pick(['GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);
    let path = this.lambdaPath();
    let query = this.query();
    let { body, contentType } = this.body();
    switch (style) {
      case 'query':
        if (this.chance(0.3)) {
          method = 'GET';
          path = '/';
          query = [['Action', this.pick(['GetUser', 'ListUsers', 'GetCallerIdentity', 'MakeCoffee', 'GetRole'])], ['Version', this.pick(['2010-05-08', '2011-06-15'])], ...query];
          body = Buffer.alloc(0);
        } else {
          method = 'POST';
          path = '/';
          if (this.chance(0.7)) ({ body, contentType } = this.body());
          contentType ??= 'application/x-www-form-urlencoded; charset=utf-8';
        }
        break;
      case 'json':
        method = 'POST';
        path = '/';
        headers.push(['x-amz-target', this.pick(['TrentService.ListKeys', 'TrentService.Encrypt', 'AmazonSQS.SendMessage', 'Logs_20140328.PutLogEvents', 'StarlingDoveService.PutConfigRule', 'AWSEvents.PutEvents', 'Nope', 'TrentService.MakeCoffee'])]);
        contentType = this.pick(['application/x-amz-json-1.1', 'application/x-amz-json-1.0', 'application/json']);
        break;
      case 'cbor':
        method = 'POST';
        path = `/service/GraniteServiceVersion20100801/operation/${this.pick(['GetMetricData', 'ListMetrics', 'PutMetricData', 'Nope'])}`;
        headers.push(['smithy-protocol', 'rpc-v2-cbor']);
        contentType = 'application/cbor';
        break;
    }
    if (contentType && !headers.some(([k]) => k === 'content-type')) headers.push(['content-type', contentType]);
    if (body.length > 0 && (method === 'GET' || method === 'HEAD') && this.chance(0.7)) method = 'POST';
    return { method, path, query, headers, body };
  }

  service(): string {
    return this.pick(['lambda', 'lambda', 'lambda', 'lambda', 'iam', 'iam', 'sts', 'sts', 'kms', 'monitoring', 'sqs', 'logs', 'events', 'xray', 'nosuchservice', 's3', this.str(this.int(1, 20))]);
  }

  /** Host, Content-Length and Connection: close around a request's own headers. */
  frame(method: string, path: string, query: string, headers: Array<[string, string]>, body: Buffer): Buffer {
    const all: Array<[string, string]> = [['Host', this.#host], ...headers];
    if (body.length > 0 || method === 'POST' || method === 'PUT') all.push(['Content-Length', String(body.length)]);
    all.push(['Connection', 'close']);
    return serialize(method, `${path}${query ? '?' + query : ''}`, all, body);
  }

  signed(): Case {
    const service = this.service();
    const t = this.target(service);
    const presign = this.chance(0.15);
    const signedHeaders: Array<[string, string]> = [['host', this.#host], ...t.headers];
    const s = sign({ ...t, headers: signedHeaders, service, ...(presign ? { presignExpires: this.pick(['60', '300', '604800', null]) } : {}) });
    const headers = s.headers.filter(([k]) => k !== 'host');
    return { label: `signed ${service} ${t.method} ${t.path.slice(0, 80)}`, parts: [this.frame(t.method, t.path, s.query, headers, t.body)], head: t.method === 'HEAD' };
  }

  forged(): Case {
    const service = this.service();
    const t = this.target(service);
    const now = Date.now();
    const day = 24 * 3600_000;
    const signedHeaders: Array<[string, string]> = [['host', this.#host], ...t.headers];
    const variant = this.pick([
      'wrong-secret', 'unknown-key', 'other-region', 'past-day-scope', 'stale', 'future', 'flipped-signature', 'body-changed',
      'expires-nan', 'expires-huge', 'expires-negative', 'presign-expired', 'garbage-authorization', 'no-date', 'bad-date', 'no-host-signed', 'sha-mismatch', 'scope-parts',
    ] as const);
    const spec: SignSpec = { ...t, headers: signedHeaders, service };
    switch (variant) {
      case 'wrong-secret': spec.secret = 'wrong'; break;
      case 'unknown-key': spec.accessKeyId = 'AKIA' + this.str(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'); break;
      case 'other-region': spec.region = this.pick(['eu-west-1', '', 'us-east-1 ', 'x'.repeat(100)]); break;
      case 'past-day-scope': spec.scopeDate = amzDate(now - this.int(1, 3000) * day).slice(0, 8); break;
      case 'stale': spec.at = now - this.int(16, 100_000) * 60_000; break;
      case 'future': spec.at = now + this.int(16, 100_000) * 60_000; break;
      case 'expires-nan': spec.presignExpires = this.pick(['abc', '', '1e3', 'NaN', 'Infinity', ' 60']); break;
      case 'expires-huge': spec.presignExpires = this.pick(['604801', '1000000000000', '99999999999999999999999']); break;
      case 'expires-negative': spec.presignExpires = '-' + this.int(1, 1000); break;
      case 'presign-expired': spec.presignExpires = '60'; spec.at = now - 3600_000; break;
      default: break;
    }
    const s = sign(spec);
    let headers = s.headers.filter(([k]) => k !== 'host');
    let query = s.query;
    let body = t.body;
    const auth = headers.findIndex(([k]) => k === 'authorization');
    switch (variant) {
      case 'flipped-signature':
        if (auth >= 0) headers[auth] = ['authorization', headers[auth]![1].replace(/Signature=(.)/, (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`)];
        else query = query.replace(/X-Amz-Signature=(.)/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
        break;
      case 'body-changed': body = Buffer.concat([body, Buffer.from('x')]); break;
      case 'garbage-authorization':
        headers = headers.filter(([k]) => k !== 'authorization');
        headers.push(['authorization', this.pick([
          'AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA256 Credential=', 'Bearer abc', `AWS ${TEST_CREDENTIALS.accessKeyId}:c2lnbmF0dXJl`, 'AWS4-HMAC-SHA512 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00',
          `AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/20260101/${REGION}/lambda/aws4_request, SignedHeaders=host, Signature=zz`,
          `AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/${amzDate(now).slice(0, 8)}/${REGION}/${service}/aws4_request, SignedHeaders=, Signature=${'0'.repeat(64)}`,
          `AWS4-HMAC-SHA256 ${'x'.repeat(this.int(100, 8000))}`, 'AWS4-HMAC-SHA256 Credential=a,,,,=,=,Signature', '',
        ])]);
        break;
      case 'no-date': headers = headers.filter(([k]) => k !== 'x-amz-date'); break;
      case 'bad-date': headers = headers.map(([k, v]) => [k, k === 'x-amz-date' ? this.pick(['now', '2026', '99999999T999999Z', '', 'Thu, 01 Jan 1970 00:00:00 GMT']) : v]); break;
      case 'no-host-signed':
        if (auth >= 0) headers[auth] = ['authorization', headers[auth]![1].replace(/SignedHeaders=([^,]*)/, (_m, list: string) => `SignedHeaders=${list.split(';').filter((n) => n !== 'host').join(';')}`)];
        else query = query.replace(/X-Amz-SignedHeaders=([^&]*)/, (_m, list: string) => `X-Amz-SignedHeaders=${decodeURIComponent(list).split(';').filter((n) => n !== 'host').join('%3B')}`);
        break;
      case 'sha-mismatch': headers.push(['x-amz-content-sha256', sha('other')]); break;
      case 'scope-parts':
        if (auth >= 0) headers[auth] = ['authorization', headers[auth]![1].replace('/aws4_request', this.pick(['', '/aws4_request/extra', '/aws5_request']))];
        break;
      default: break;
    }
    return { label: `forged:${variant} ${service} ${t.method} ${t.path.slice(0, 60)}`, parts: [this.frame(t.method, t.path, query, headers, body)], head: t.method === 'HEAD', mustRefuse: isApiPath(t.path) };
  }

  unsigned(): Case {
    const t = this.target(this.service());
    return { label: `unsigned ${t.method} ${t.path.slice(0, 80)}`, parts: [this.frame(t.method, t.path, serializeQuery(t.query), t.headers, t.body)], head: t.method === 'HEAD', mustRefuse: isApiPath(t.path) };
  }

  rawGarbage(): Case {
    const host = `Host: 127.0.0.1:${port}\r\n`;
    const variant = this.pick([
      'request-line', 'bytes', 'no-colon', 'obs-fold', 'ctl-in-value', 'big-header', 'many-headers', 'cl-te', 'two-cl', 'bad-cl', 'bad-chunk', 'truncated',
      'connect', 'expect', 'no-host', 'lf-only', 'bad-version', 'absolute-form', 'asterisk', 'upgrade', 'lowercase-method', 'space-in-path', 'http10', 'te-unknown',
    ] as const);
    const b = (s: string) => Buffer.from(s, 'latin1');
    let parts: Buffer[];
    let halfClose = false;
    switch (variant) {
      case 'request-line': parts = [b(`${this.pick(['GARBAGE', 'GET', 'G\u0000T /', '/ / /', 'GET  / HTTP/1.1', '\r\n\r\nGET', this.str(this.int(1, 200), 'abc /:?#\t')])}\r\n\r\n`)]; break;
      case 'bytes': parts = [this.bytes(this.int(1, 4000))]; halfClose = true; break;
      case 'no-colon': parts = [b(`GET /2015-03-31/functions HTTP/1.1\r\n${host}${this.pick(['BadHeaderLine', 'X-A', ': value', 'X A: b', 'X-A:: b ', '\u00ff\u00fe: x'])}\r\n\r\n`)]; break;
      case 'obs-fold': parts = [b(`GET / HTTP/1.1\r\n${host}X-A: a\r\n b\r\n\r\n`)]; break;
      case 'ctl-in-value': parts = [b(`GET / HTTP/1.1\r\n${host}X-A: a${this.pick(['\u0001', '\u0000', '\u007f', '\r'])}b\r\n\r\n`)]; break;
      case 'big-header': parts = [b(`GET /2015-03-31/functions HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(this.int(16_400, 80_000))}\r\n\r\n`)]; break;
      case 'many-headers': parts = [b(`GET / HTTP/1.1\r\n${host}${Array.from({ length: this.int(2100, 4000) }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`)]; break;
      case 'cl-te': parts = [b(`POST / HTTP/1.1\r\n${host}Content-Length: ${this.int(0, 50)}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`)]; break;
      case 'two-cl': parts = [b(`POST / HTTP/1.1\r\n${host}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`)]; break;
      case 'bad-cl': parts = [b(`POST / HTTP/1.1\r\n${host}Content-Length: ${this.pick(['-1', 'abc', '1 2', '0x10', '99999999999999999999999'])}\r\n\r\n`)]; break;
      case 'bad-chunk': parts = [b(`POST /2015-03-31/functions HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\n${this.pick(['ZZ\r\nabc\r\n0\r\n\r\n', '5\r\nabc\r\n0\r\n\r\n', '-1\r\n\r\n', 'ffffffffffffffffff\r\n'])}`)]; halfClose = true; break;
      case 'truncated': parts = [b(`POST /2015-03-31/functions HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: ${this.int(10, 5000)}\r\n\r\n{"a":`)]; halfClose = true; break;
      case 'connect': parts = [b(`CONNECT ${this.pick(['example.com:443', '127.0.0.1:22', '[::1]:80'])} HTTP/1.1\r\nHost: example.com:443\r\n\r\n`)]; break;
      case 'expect': parts = [b(`POST / HTTP/1.1\r\n${host}Expect: ${this.pick(['banana', '100-continue-please', '200-ok', ''])}\r\nContent-Length: 2\r\n\r\n{}`)]; break;
      case 'no-host': parts = [b(`GET /2015-03-31/functions HTTP/1.1\r\n\r\n`)]; break;
      case 'lf-only': parts = [b(`GET / HTTP/1.1\nHost: x\n\n`)]; break;
      case 'bad-version': parts = [b(`GET / ${this.pick(['HTTP/2.0', 'HTTP/9.9', 'HTTP/1', 'HTTPS/1.1', 'http/1.1'])}\r\n${host}\r\n`)]; halfClose = true; break;
      case 'absolute-form': parts = [b(`GET http://evil.example/2015-03-31/functions HTTP/1.1\r\n${host}Connection: close\r\n\r\n`)]; break;
      case 'asterisk': parts = [b(`OPTIONS * HTTP/1.1\r\n${host}Connection: close\r\n\r\n`)]; break;
      case 'upgrade': parts = [b(`GET / HTTP/1.1\r\n${host}Connection: Upgrade\r\nUpgrade: ${this.pick(['websocket', 'h2c', 'TLS/1.2'])}\r\n\r\n`)]; break;
      case 'lowercase-method': parts = [b(`${this.pick(['get', 'Post', 'PROPFIND', 'QUERY', 'TRACE', 'SEARCH'])} / HTTP/1.1\r\n${host}Connection: close\r\n\r\n`)]; break;
      case 'space-in-path': parts = [b(`GET /2015-03-31/functions/a b HTTP/1.1\r\n${host}\r\n`)]; break;
      case 'http10': parts = [b(`GET /2015-03-31/functions HTTP/1.0\r\n\r\n`)]; break;
      case 'te-unknown': parts = [b(`POST / HTTP/1.1\r\n${host}Transfer-Encoding: ${this.pick(['gzip', 'chunked, gzip', 'identity', 'x'])}\r\n\r\nabc`)]; halfClose = true; break;
    }
    return { label: `raw:${variant}`, parts, halfClose };
  }
}

function serializeQuery(q: Array<[string, string]>): string {
  return q.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
}

// ---------------------------------------------------------------------------------------------
// What every answer must look like

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false });

/** Why `r` is not an acceptable answer, or undefined when it is. */
function verdict(r: Reply | undefined, head: boolean): string | undefined {
  if (!r) return 'no response';
  // 501 UnsupportedOperationException is Flint's designed answer for a model operation it does not
  // implement yet (a service whose issue is still open): named, typed, not a fault. Any other 5xx is.
  const unsupported = r.status === 501 && r.headers['x-amzn-errortype'] === 'UnsupportedOperationException';
  if (r.status >= 500 && !unsupported) return `status ${r.status}`;
  if (!r.headers['x-amzn-requestid']) return `status ${r.status} without x-amzn-RequestId`;
  if (r.status < 300 || head) return undefined;
  if (r.body.length === 0) return `status ${r.status} with an empty body`;
  const type = r.headers['content-type'] ?? '';
  const text = r.body.toString('utf8');
  if (type.includes('cbor') || r.headers['smithy-protocol'] === 'rpc-v2-cbor') {
    let doc: unknown;
    try { doc = cborDecode(r.body); } catch { return `status ${r.status}: CBOR body does not decode`; }
    return typeof (doc as { __type?: unknown })?.__type === 'string' ? undefined : `status ${r.status}: CBOR error without __type`;
  }
  if (type.includes('xml') || text.trimStart().startsWith('<')) {
    let doc: any;
    try { doc = xml.parse(text); } catch { return `status ${r.status}: XML body does not parse`; }
    // The query protocol's <ErrorResponse><Error>…</Error></ErrorResponse>; S3's bare <Error> for the code-download links.
    const err = doc?.ErrorResponse?.Error ?? doc?.Error;
    return err?.Code && err?.Message !== undefined ? undefined : `status ${r.status}: XML error without Code and Message: ${text.slice(0, 120)}`;
  }
  let doc: any;
  try { doc = JSON.parse(text); } catch { return `status ${r.status}: body is neither JSON, XML nor CBOR: ${JSON.stringify(text.slice(0, 120))}`; }
  if (typeof (doc?.message ?? doc?.Message) !== 'string') return `status ${r.status}: JSON error without message: ${text.slice(0, 120)}`;
  if (typeof doc.__type !== 'string' && !r.headers['x-amzn-errortype']) return `status ${r.status}: JSON error without __type or x-amzn-ErrorType`;
  return undefined;
}

async function health(): Promise<void> {
  const r = await exchange([Buffer.from(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`)]);
  assert.equal(r?.status, 200, 'Flint stopped serving /health');
}

/** Sends raw bytes and returns the reply, asserting only that one came. */
async function send(text: string | Buffer, opts: { halfClose?: boolean } = {}): Promise<Reply> {
  const r = await exchange([Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1')], opts);
  assert.ok(r, 'no response');
  return r;
}

function signedRequest(spec: Omit<SignSpec, 'headers' | 'query' | 'body'> & { query?: Array<[string, string]>; body?: Buffer }): Buffer {
  const s = sign({ query: [], body: Buffer.alloc(0), ...spec, headers: [['host', `127.0.0.1:${port}`]] });
  const g = new Generator(0);
  return g.frame(spec.method, spec.path, s.query, s.headers.filter(([k]) => k !== 'host'), spec.body ?? Buffer.alloc(0));
}

// ---------------------------------------------------------------------------------------------
// Each fuzz finding, as its own specification, then the fuzz itself

test('front door: GET /flint/code/%ZZ is 400 InvalidURI in S3\'s XML shape with a request id, not 500', async () => {
  const r = await send(`GET /flint/code/%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  assert.equal(r.status, 400);
  assert.ok(r.headers['x-amzn-requestid']);
  const doc = xml.parse(r.body.toString());
  assert.equal(doc.Error.Code, 'InvalidURI');
  assert.equal(doc.Error.RequestId, r.headers['x-amzn-requestid']);
  assert.equal(verdict(r, false), undefined);
});

test('front door: a forged, unknown or dot-dot code link is 403 AccessDenied in S3\'s XML shape with a request id', async () => {
  for (const token of [`${'0'.repeat(64)}.9999999999.${'0'.repeat(64)}`, 'nope', '..%2F..%2Fetc%2Fpasswd', '../../2015-03-31/functions', '']) {
    const r = await send(`GET /flint/code/${token} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.equal(r.status, 403, token);
    assert.equal(xml.parse(r.body.toString()).Error.Code, 'AccessDenied');
    assert.equal(verdict(r, false), undefined);
  }
});

test('front door: a request signed with a key derived for another day is 403 InvalidSignatureException', async () => {
  const r = await send(signedRequest({ method: 'GET', path: '/2015-03-31/functions', service: 'lambda', scopeDate: amzDate(Date.now() - 3 * 24 * 3600_000).slice(0, 8) }));
  assert.equal(r.status, 403);
  assert.equal(r.headers['x-amzn-errortype'], 'InvalidSignatureException');
  assert.match(JSON.parse(r.body.toString()).message, /^Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\d{8}' != '\d{8}', from '\d{8}T\d{6}Z'\.$/);
});

test('front door: presigned URLs with X-Amz-Expires=abc or 10^12 are refused, not valid forever', async () => {
  const nan = await send(signedRequest({ method: 'GET', path: '/2015-03-31/functions', service: 'lambda', presignExpires: 'abc' }));
  assert.equal(nan.status, 400);
  assert.equal(nan.headers['x-amzn-errortype'], 'IncompleteSignatureException');
  assert.equal(JSON.parse(nan.body.toString()).message, 'X-Amz-Expires should be a number');
  const huge = await send(signedRequest({ method: 'GET', path: '/2015-03-31/functions', service: 'lambda', presignExpires: '1000000000000', at: Date.now() - 30 * 24 * 3600_000 }));
  assert.equal(huge.status, 400);
  assert.match(JSON.parse(huge.body.toString()).message, /^X-Amz-Expires must be less than a week/);
  const ok = await send(signedRequest({ method: 'GET', path: '/2015-03-31/functions', service: 'lambda', presignExpires: '604800' }));
  assert.equal(ok.status, 200);
});

test('front door: malformed HTTP gets an AWS-shaped answer with a request id, never a bare status line', async () => {
  const cases: Array<[string, string, number]> = [
    ['bad Expect', 'POST / HTTP/1.1\r\nHost: x\r\nExpect: banana\r\nContent-Length: 2\r\n\r\n{}', 417],
    ['header line without a colon', 'GET / HTTP/1.1\r\nHost: x\r\nBadHeaderLine\r\n\r\n', 400],
    ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['16 KB+ header', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17_000)}\r\n\r\n`, 431],
    ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 405],
    ['no Host', 'GET /2015-03-31/functions HTTP/1.1\r\n\r\n', 400],
  ];
  const failures: string[] = [];
  for (const [name, text, status] of cases) {
    const r = await exchange([Buffer.from(text, 'latin1')]);
    const why = verdict(r, false) ?? (r!.status !== status ? `status ${r!.status}, want ${status}` : undefined);
    if (why) failures.push(`${name}: ${why}`);
  }
  await health();
  assert.deepEqual(failures, []);
});

test(`front door fuzz: ${COUNT} generated requests (seed ${SEED}) — no 5xx, always a request id, every refusal AWS-shaped, still serving`, async (t) => {
  const gen = new Generator(SEED);
  const started = Date.now();
  const failures = new Map<string, string[]>();
  const statuses = new Map<number | string, number>();
  for (let done = 0; done < COUNT; done += BATCH) {
    const cases = Array.from({ length: Math.min(BATCH, COUNT - done) }, () => gen.next());
    let i = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (i < cases.length) {
        const c = cases[i++]!;
        const r = await exchange(c.parts, { halfClose: c.halfClose, head: c.head });
        statuses.set(r?.status ?? 'none', (statuses.get(r?.status ?? 'none') ?? 0) + 1);
        const why = verdict(r, c.head ?? false) ?? (c.mustRefuse && r!.status < 300 ? `accepted with status ${r!.status}` : undefined);
        if (why) {
          const key = `${c.label.split(' ')[0]}: ${why.replace(/:.*/, '')}`;
          const list = failures.get(key) ?? [];
          if (list.length < 3) list.push(`${c.label} → ${why}`);
          failures.set(key, list);
        }
      }
    }));
    await health();
  }
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`${COUNT} requests in ${seconds.toFixed(1)} s; statuses: ${[...statuses].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  const report = [...failures].map(([k, samples]) => `${k}\n    ${samples.join('\n    ')}`).join('\n');
  assert.equal(failures.size, 0, `seed ${SEED}: ${failures.size} kinds of bad answers:\n${report}`);
  assert.ok(seconds < 60, `the fuzz took ${seconds.toFixed(1)} s`);
});
