import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AwsError } from '../domain/errors.js';
import type { RequestForwarder, RequestOrigin } from '../api/api-server.js';

/**
 * Marks a request one node already forwarded (the next node serves it or fails it, never forwards
 * again) and carries its client's address and transport: `for=IP;proto=http|https;sig=HMAC`.
 */
export const FORWARDED_HEADER = 'x-flint-forwarded';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the framing this hop sets anew. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'content-length']);

/**
 * Sends the requests of services the leader serves (the SQS queues) to the leader's front door,
 * unchanged: method, path and query, headers (Host included, so the client's SigV4 signature
 * verifies there) and body. The answer is passed back as the leader gave it, its request id
 * included, so the client sees one service whichever api node it reached.
 *
 * Keep-alive connections, one pool per scheme. A long poll (ReceiveMessage waits up to 20 s) is
 * allowed `timeoutMs` (default 60 s). When the leader cannot be reached, the client gets a 503
 * ServiceUnavailable, which the AWS SDKs retry.
 */
export class LeaderForwarder implements RequestForwarder {
  readonly #services: ReadonlySet<string>;
  readonly #target: () => string | undefined;
  readonly #timeoutMs: number;
  readonly #secret: Buffer | undefined;
  readonly #http = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  readonly #https: HttpsAgent;

  constructor(o: {
    /** Signing names of the services to forward (e.g. `sqs`). */
    services: readonly string[];
    /** The leader's front door (`scheme://host:port`), or undefined while this node leads or none is known. */
    target: () => string | undefined;
    /** CA bundle the leader's HTTPS certificate is checked against (besides Node's). */
    ca?: string;
    /**
     * A secret every node of the cluster holds: forwarded requests carry their client's address
     * and transport under its HMAC, so the leader's policies see the client's aws:SourceIp and
     * aws:SecureTransport (and its queue URLs the client's scheme), not the forwarding hop's.
     */
    secret?: Buffer;
    timeoutMs?: number;
  }) {
    this.#services = new Set(o.services);
    this.#target = o.target;
    this.#timeoutMs = o.timeoutMs ?? 60_000;
    this.#secret = o.secret;
    this.#https = new HttpsAgent({ keepAlive: true, maxSockets: 256, ...(o.ca ? { ca: o.ca } : {}) });
  }

  targetFor(service: string, headers: IncomingHttpHeaders): string | undefined {
    if (!this.#services.has(service) || headers[FORWARDED_HEADER] !== undefined) return undefined;
    return this.#target();
  }

  vouched(headers: IncomingHttpHeaders): RequestOrigin | undefined {
    const h = headers[FORWARDED_HEADER];
    if (typeof h !== 'string' || !this.#secret) return undefined;
    const m = /^for=([0-9A-Fa-f:.]+);proto=(https?);sig=([0-9a-f]{64})$/.exec(h);
    if (!m) return undefined;
    const want = this.#sign(m[1]!, m[2]!, headers);
    const got = Buffer.from(m[3]!, 'hex');
    return timingSafeEqual(want, got) ? { sourceIp: m[1]!, secureTransport: m[2] === 'https' } : undefined;
  }

  forward(target: string, req: { method: string; rawUrl: string; headers: IncomingHttpHeaders; body: Buffer } & RequestOrigin): Promise<{ status: number; headers: OutgoingHttpHeaders; body: Buffer }> {
    const url = new URL(target);
    const https = url.protocol === 'https:';
    const headers: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    const proto = req.secureTransport ? 'https' : 'http';
    headers[FORWARDED_HEADER] = this.#secret ? `for=${req.sourceIp};proto=${proto};sig=${this.#sign(req.sourceIp, proto, req.headers).toString('hex')}` : '1';
    headers['content-length'] = String(req.body.length);
    // The leader's certificate names the host the client asked for (one name for every api node).
    const host = hostOf(req.headers.host);
    return new Promise((resolve, reject) => {
      const fail = (why: string) => reject(new AwsError('ServiceUnavailable', `The SQS queues are served by the cluster's leader (${url.host}), which did not answer: ${why}. Retry the request.`, { status: 503 }));
      const out = (https ? httpsRequest : httpRequest)({
        host: url.hostname,
        port: url.port || (https ? 443 : 80),
        method: req.method,
        path: req.rawUrl,
        headers,
        agent: https ? this.#https : this.#http,
        timeout: this.#timeoutMs,
        ...(https && host && isIP(host) === 0 ? { servername: host } : {}),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => fail(err.message));
        res.on('end', () => {
          const back: OutgoingHttpHeaders = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) back[k] = v;
          const body = Buffer.concat(chunks);
          back['content-length'] = String(body.length);
          resolve({ status: res.statusCode ?? 502, headers: back, body });
        });
      });
      out.on('timeout', () => out.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
      out.on('error', (err) => fail(err.message));
      out.end(req.body);
    });
  }

  /** Bound to the request's own signature, so a vouching header cannot be moved to another request. */
  #sign(ip: string, proto: string, headers: IncomingHttpHeaders): Buffer {
    return createHmac('sha256', this.#secret!).update(`${ip}\n${proto}\n${String(headers['authorization'] ?? '')}\n${String(headers['x-amz-date'] ?? '')}`).digest();
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

function hostOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon > 0 ? host.slice(0, colon) : host;
}
