import type { PlainRoute } from './api-server.js';
import type { CodeStore } from '../ports/code-store.js';
import { CODE_ROUTE_PREFIX, type CodeLocations } from '../control/code-location.js';

/**
 * The unsigned `GET /flint/code/<token>` route behind GetFunction's `Code.Location` (and layer
 * `Content.Location`): Lambda's links are presigned S3 URLs that need no AWS credentials and expire
 * after ten minutes; a refused link answers the way S3 does, 403 AccessDenied in S3's XML shape.
 */
export function codeDownloadRoute(locations: CodeLocations, code: CodeStore): PlainRoute {
  return {
    method: 'GET',
    prefix: CODE_ROUTE_PREFIX,
    async handle(_req, res, url) {
      const token = decodeURIComponent(url.pathname.slice(CODE_ROUTE_PREFIX.length));
      const sha = locations.resolve(token);
      if (sha === undefined || !code.has(sha)) {
        const body =
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired or the link is not valid</Message></Error>';
        res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      const zip = await code.get(sha);
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length });
      res.end(zip);
    },
  };
}
