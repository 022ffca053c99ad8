import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAbsolute, sep } from 'node:path';
import { AccessDeniedException, AwsError, InvalidParameterValueException } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import type { DevSessions } from '../invoke/dev/dev-sessions.js';
import type { PlainRoute } from './api-server.js';
import type { SigV4Verifier } from './sigv4-verifier.js';
import { readBody } from './read-body.js';
import { findDataDirMarker } from './data-dir-scan.js';

/** Flint's own (not AWS) paths of the developer loop: `/flint/dev/functions/<name>/code-folder|debug`. */
export const DEV_PREFIX = '/flint/dev/functions/';

/** Both settings change what code runs as the function, with its role and secrets: the same right as uploading code. */
const ACTION = 'lambda:UpdateFunctionCode';
const BODY_LIMIT = 64 * 1024;

export interface DevRouteDeps {
  sessions: DevSessions;
  verifier: Pick<SigV4Verifier, 'verify'>;
  checkAccess(principal: Principal, action: string, resource: string): void;
  /** The function's name and ARN; throws ResourceNotFoundException for an unknown one. */
  lookup(functionName: string): { name: string; arn: string };
  /** The server's data directory: a code folder may neither lie in it nor hold it. */
  dataDir: string;
  /** The sandbox driver runs functions under a uid of their own (bwrap): a folder must be readable by others. */
  sandboxOwnUser: boolean;
}

/**
 * The server side of `flint dev` and `flint invoke --inspect` (docs/developer-loop.md):
 *
 * - `PUT …/<name>/code-folder {"Folder": "/abs/dir"}` runs `$LATEST` from that folder of the
 *   server's host (again: the reload), `DELETE` goes back to the uploaded code;
 * - `PUT …/<name>/debug {"Port": 9229}` starts new environments with the runtime's inspector on
 *   the host's 127.0.0.1:Port, `DELETE` ends debugging.
 *
 * A host path means the same to caller and server only on one machine, and an inspector runs any
 * code it is sent: requests are taken from the loopback only, signed with SigV4 and authorized as
 * `lambda:UpdateFunctionCode` on the function (IAM applies, as to an upload of code).
 */
export function devRoutes(deps: DevRouteDeps): PlainRoute[] {
  const handle = (method: 'PUT' | 'DELETE') => async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    let status = 200;
    let body: unknown;
    try {
      body = await answer(deps, method, req, url);
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError('ServiceException', String((err as Error)?.message ?? err), { status: 500 });
      status = e.status ?? (e.type === 'ResourceNotFoundException' ? 404 : 400);
      body = { __type: e.type, message: e.message };
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  return [
    { method: 'PUT', prefix: DEV_PREFIX, handle: handle('PUT') },
    { method: 'DELETE', prefix: DEV_PREFIX, handle: handle('DELETE') },
  ];
}

async function answer(deps: DevRouteDeps, method: 'PUT' | 'DELETE', req: IncomingMessage, url: URL): Promise<unknown> {
  const raw = await readBody(req, BODY_LIMIT);
  if (raw === undefined) throw new InvalidParameterValueException(`The request body is larger than ${BODY_LIMIT} bytes.`);
  if (!isLoopback(req.socket.remoteAddress)) throw new AccessDeniedException('The developer loop (code folders, debugging) is served to callers on the server\'s own host only.');
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const verified = deps.verifier.verify({ method, rawPath: q >= 0 ? rawUrl.slice(0, q) : rawUrl, rawQuery: q >= 0 ? rawUrl.slice(q + 1) : '', headers: req.headers, body: raw });
  const m = /^([^/]+)\/(code-folder|debug)$/.exec(url.pathname.slice(DEV_PREFIX.length));
  if (!m) throw new AwsError('UnknownOperationException', `No Flint developer route at ${url.pathname}.`, { status: 404 });
  const fn = deps.lookup(decodeURIComponent(m[1]!));
  deps.checkAccess(verified.credential.principal, ACTION, fn.arn);
  const input = parseInput(raw);
  const s = deps.sessions;
  if (m[2] === 'code-folder') {
    if (method === 'DELETE') return { FunctionName: fn.name, Detached: s.detachFolder(fn.name) };
    const folder = checkFolder(input['Folder'], deps.dataDir, deps.sandboxOwnUser);
    // Scanned when attached, not on every reload (the reload budget is a few hundred ms): the CLI
    // watches for data-directory files appearing later.
    if (s.codeFolder(fn.name, '$LATEST') !== folder) {
      const marker = findDataDirMarker(folder);
      if (marker) throw new InvalidParameterValueException(`Folder ${folder} holds a Flint data directory (${marker}); function code may not see it: move it out of the folder.`);
    }
    s.attachFolder(fn.name, folder);
    return { FunctionName: fn.name, Folder: folder };
  }
  if (method === 'DELETE') return { FunctionName: fn.name, Debugging: false, Stopped: await s.disableDebug(fn.name) };
  const port = input['Port'] ?? 0;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidParameterValueException(`Port must be an integer from 0 to 65535 (0: any free port), not ${JSON.stringify(port)}.`);
  }
  try {
    const bound = await s.enableDebug(fn.name, port);
    return { FunctionName: fn.name, Debugging: true, Port: bound, Inspector: `127.0.0.1:${bound}` };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new AwsError('ResourceConflictException', `Port ${port} on 127.0.0.1 is in use: choose another with --inspect-port, or 0 for any free one.`, { status: 409 });
    throw err;
  }
}

function parseInput(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  try {
    const v = JSON.parse(raw.toString('utf8')) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InvalidParameterValueException('The request body must be a JSON object.');
}

/** An absolute directory the server can read and list, apart from its data directory (which holds its keys). */
function checkFolder(value: unknown, dataDir: string, othersMustRead: boolean): string {
  if (typeof value !== 'string' || !isAbsolute(value)) throw new InvalidParameterValueException(`Folder must be an absolute path on the server's host, not ${JSON.stringify(value)}.`);
  let real: string;
  try {
    real = realpathSync(value);
    const st = statSync(real);
    if (!st.isDirectory()) throw new InvalidParameterValueException(`Folder ${value} is not a directory.`);
    accessSync(real, constants.R_OK | constants.X_OK);
    // bwrap binds the folder at /var/task, where the function's own uid reads it: the folder
    // (and its files, as in any zip Lambda runs) must be readable by others.
    if (othersMustRead && (st.mode & 0o005) !== 0o005) {
      throw new InvalidParameterValueException(`Folder ${value} is not readable by other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); the sandbox runs the function under a user of its own: chmod o+rx it (and o+r its files).`);
    }
  } catch (err) {
    if (err instanceof AwsError) throw err;
    throw new InvalidParameterValueException(`Folder ${value} cannot be read by the server: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`);
  }
  let data: string;
  try {
    data = realpathSync(dataDir);
  } catch {
    data = dataDir;
  }
  const within = (a: string, b: string) => a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);
  if (within(real, data) || within(data, real)) throw new InvalidParameterValueException(`Folder ${value} overlaps Flint's data directory; function code may not see it.`);
  return real;
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
