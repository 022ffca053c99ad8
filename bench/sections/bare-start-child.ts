/**
 * Times bare interpreter starts (`node -e 0`, `python3 -c 0`) from a process pinned like the
 * servers, with a clean environment: an inherited NODE_EXTRA_CA_CERTS alone costs ~60 ms.
 */
import { spawnSync } from 'node:child_process';
import { serveRequests } from '../lib/child.js';

const CLEAN_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };

serveRequests(async (msg) => {
  const argv = msg['argv'] as string[];
  const samples = Number(msg['samples']);
  const times: number[] = [];
  for (let i = -2; i < samples; i++) {
    const t0 = performance.now();
    const r = spawnSync(argv[0]!, argv.slice(1), { env: CLEAN_ENV, stdio: 'ignore' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status ?? r.signal}`);
    if (i >= 0) times.push(ms); // the first two only warm the page cache
  }
  return { times };
});
process.send!({ ready: { pid: process.pid } });
