/**
 * A Flint server in its own process (so it can be pinned, profiled and measured apart from the
 * load generators). Started by the bench with a JSON config; answers `gc` (needs --expose-gc) so
 * memory readings are taken after a collection, and `profile-start` / `profile-stop` (V8's CPU
 * profiler through the inspector) so a profile covers the steady state only, not startup.
 *
 *   flint-server-child.ts '<json Partial<FlintConfig>>'
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { loadConfig } from '../../src/app/config.js';
import { startFlint } from '../../src/app/flint-app.js';
import { serveRequests } from '../lib/child.js';

const overrides = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const config = loadConfig({ host: '127.0.0.1', port: 0, quiet: true, ...overrides }, {});
const logs: string[] = [];
const app = await startFlint(config, { log: (line) => { logs.push(line); if (logs.length > 50) logs.shift(); } });

let profiler: Session | undefined;
let loopDelay: IntervalHistogram | undefined;
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
    case 'gc':
      (globalThis as { gc?: () => void }).gc?.();
      return { collected: typeof (globalThis as { gc?: () => void }).gc === 'function' };
    case 'logs':
      return { logs };
    // The cold-start section: wait until the pre-initialized runtimes are back (outside its timing),
    // and ask how a function's environment started.
    case 'prewarm-settled':
      await app.dataPlane.prewarm.settled(30_000);
      return { enabled: app.dataPlane.prewarm.enabled, sizes: app.dataPlane.prewarm.sizes() };
    case 'start-type': {
      const envs = app.dataPlane.pool.environments(String(msg['name']), '$LATEST');
      return { preInitialized: envs.map((e) => e.env.preInitialized) };
    }
    // The scale-out section: how long the server's event loop stalled while environments were created.
    case 'loop-delay-start':
      loopDelay?.disable();
      loopDelay = monitorEventLoopDelay({ resolution: 1 });
      loopDelay.enable();
      return {};
    case 'loop-delay-stop': {
      loopDelay!.disable();
      const ms = (ns: number) => Math.round(ns / 1e4) / 100;
      return { p99Ms: ms(loopDelay!.percentile(99)), maxMs: ms(loopDelay!.max) };
    }
    case 'placement-decisions':
      return { decisions: Object.fromEntries(app.dataPlane.pool.placementDecisions()) };
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
// serveRequests exits on disconnect; stop the app first so environments are torn down.
process.removeAllListeners('disconnect');
process.on('disconnect', () => void stop(0));
process.send!({ ready: { endpoint: app.endpoint, pid: process.pid, sandbox: (app as { dataPlane?: { driver?: { name?: string } } }).dataPlane?.driver?.name ?? config.sandbox, accessKeyId: app.credentials.accessKeyId, secretAccessKey: app.credentials.secretAccessKey, region: config.region } });
