import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { PlainRoute } from './api-server.js';
import type { CodeStore } from '../ports/code-store.js';
import { CODE_ROUTE_PREFIX, type CodeLocations } from '../control/code-location.js';

/**
 * The unsigned `GET /flint/code/<token>` route behind GetFunction's `Code.Location` (and layer
 * `Content.Location`): Lambda's links are presigned S3 URLs that need no AWS credentials and expire
 * after ten minutes, so a refused link answers the way S3 does, in S3's XML error shape
 * (`<Error><Code/><Message/><RequestId/></Error>`): 403 AccessDenied for an expired, forged or
 * unknown link, 400 InvalidURI for a path that is not even percent-decodable. Every answer carries
 * `x-amzn-RequestId` like the rest of Flint's front door.
 */
export function codeDownloadRoute(locations: CodeLocations, code: CodeStore): PlainRoute {
  return {
    method: 'GET',
    prefix: CODE_ROUTE_PREFIX,
    async handle(req, res) {
      const requestId = randomUUID();
      // The token from the path exactly as received: URL parsing would resolve `..` segments first.
      const rawUrl = req.url ?? '';
      const q = rawUrl.indexOf('?');
      const rawToken = (q >= 0 ? rawUrl.slice(0, q) : rawUrl).slice(CODE_ROUTE_PREFIX.length);
      let token: string;
      try {
        token = decodeURIComponent(rawToken);
      } catch {
        // S3's answer to a path it cannot percent-decode.
        s3Error(res, requestId, 400, 'InvalidURI', "Couldn't parse the specified URI.");
        return;
      }
      const sha = locations.resolve(token);
      if (sha === undefined || !code.has(sha)) {
        s3Error(res, requestId, 403, 'AccessDenied', 'Request has expired or the link is not valid');
        return;
      }
      let zip: Buffer;
      try {
        zip = await code.get(sha);
      } catch {
        // Collected between `has` and `get`: the link outlived its archive, as an S3 object can.
        s3Error(res, requestId, 403, 'AccessDenied', 'Request has expired or the link is not valid');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length, 'x-amzn-requestid': requestId });
      res.end(zip);
    },
  };
}

function s3Error(res: ServerResponse, requestId: string, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Message><RequestId>${requestId}</RequestId></Error>`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': code,
  });
  res.end(body);
}
