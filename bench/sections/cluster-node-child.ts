/**
 * One Flint node for the cluster section: a single node (role all, SQLite) or a cluster node
 * (role api|worker|poller on PostgreSQL), in its own process so it can be pinned and its CPU
 * charged apart. Answers `async-metrics` (this node's pollers: what they delivered),
 * `environments` (execution environments of a function on this node) and `profile-start` /
 * `profile-stop` (V8's sampling profiler through the inspector, steady state only).
 *
 *   cluster-node-child.ts '<json Partial<FlintConfig>>'
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { loadConfig } from '../../src/app/config.js';
import { startFlint } from '../../src/app/flint-app.js';
import { serveRequests } from '../lib/child.js';

/** What a node reports once it runs. */
export interface ClusterNodeReady {
  role: string;
  /** The API endpoint (api and all); workers and pollers report the api node they point at. */
  endpoint: string;
  pid: number;
  nodeId?: string;
  /** The sandbox driver of the node's execution environments ('' on api and poller nodes). */
  sandbox: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

const overrides = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const config = loadConfig({ host: '127.0.0.1', port: 0, quiet: true, ...overrides }, {});
const logs: string[] = [];
const app = await startFlint(config, { log: (line) => { logs.push(line); if (logs.length > 50) logs.shift(); } });

let profiler: Session | undefined;
function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => profiler!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
}

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await Promise.race([app.stop(), new Promise((r) => setTimeout(r, 10_000))]);
  }
  process.exit(code);
}
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));

serveRequests(async (msg) => {
  switch (msg['op']) {
    case 'logs':
      return { logs };
    case 'async-metrics':
      return { metrics: await app.asyncInvocation.pollers.metrics() };
    case 'environments': {
      // api and poller nodes run no environments (their dataPlane is absent).
      const dataPlane = app.dataPlane as typeof app.dataPlane | undefined;
      return { count: dataPlane ? dataPlane.pool.environments(String(msg['name']), '$LATEST').length : 0 };
    }
    case 'profile-start':
      profiler ??= new Session();
      profiler.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 200 });
      await post('Profiler.start');
      return {};
    case 'profile-stop': {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      writeFileSync(String(msg['file']), JSON.stringify(profile));
      profiler!.disconnect();
      return { file: msg['file'] };
    }
    default:
      throw new Error(`unknown op ${String(msg['op'])}`);
  }
});
// serveRequests exits on disconnect; stop the app first so environments are torn down and the
// node leaves the cluster.
process.removeAllListeners('disconnect');
process.on('disconnect', () => void stop(0));
const ready: ClusterNodeReady = {
  role: config.role,
  endpoint: app.endpoint,
  pid: process.pid,
  ...(app.cluster ? { nodeId: app.cluster.nodeId } : {}),
  sandbox: (app as { dataPlane?: { driver?: { name?: string } } }).dataPlane?.driver?.name ?? (config.role === 'all' || config.role === 'worker' ? config.sandbox : ''),
  accessKeyId: app.credentials.accessKeyId,
  secretAccessKey: app.credentials.secretAccessKey,
  region: config.region,
};
process.send!({ ready });
