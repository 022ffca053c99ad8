import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { NetnsHosts, netnsSkipReason } from '../../src/cluster/local/netns-hosts.js';

const skip = netnsSkipReason();
const PREFIX = `fn${(process.pid % 9999).toString(36)}`;
let hosts: NetnsHosts | undefined;
after(() => hosts?.teardown());

/** A TCP echo-ish listener inside a host: node prints 'ready' once it listens. */
const LISTENER = "require('net').createServer((s)=>{s.end('hi')}).listen(7000,process.argv[1],()=>console.log('ready'))";

async function connects(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = createConnection({ host, port });
    const t = setTimeout(() => { s.destroy(); resolve(false); }, timeoutMs);
    s.once('data', () => { clearTimeout(t); s.destroy(); resolve(true); });
    s.once('error', () => { clearTimeout(t); resolve(false); });
  });
}

function reachable(from: string, to: string): boolean {
  try {
    hosts!.exec(from, ['node', '-e', `const s=require('net').createConnection({host:'${to}',port:7000});s.setTimeout(1500,()=>process.exit(3));s.on('data',()=>process.exit(0));s.on('error',()=>process.exit(2))`]);
    return true;
  } catch {
    return false;
  }
}

async function listen(name: string): Promise<number> {
  const h = hosts!.host(name);
  const child = hosts!.spawn(name, [process.execPath, '-e', LISTENER, h.ip], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (c) => reject(new Error(`listener exited ${c}`)));
  });
  return child.pid!;
}

test('netns hosts: a bridge, one namespace per host, processes inside, partition, heal, pause, kill, teardown', { skip }, async () => {
  hosts = NetnsHosts.create(PREFIX);
  const a = hosts.addHost('a');
  const b = hosts.addHost('b');
  assert.match(a.ip, /^10\.213\.\d+\.10$/);
  assert.equal(hosts.gateway, a.ip.replace(/\.10$/, '.1'));
  // Inside a host: its own loopback, its one address, nothing of the root namespace's.
  const addrs = hosts.exec('a', [ 'ip', '-4', '-o', 'addr']);
  assert.match(addrs, /127\.0\.0\.1/);
  assert.match(addrs, new RegExp(a.ip.replace(/\./g, '\\.')));
  assert.doesNotMatch(addrs, /eth0.*192\./);

  const pidA = await listen('a');
  await listen('b');
  assert.ok(hosts.pids('a').includes(pidA), 'the spawned process is the listener itself and belongs to host a');
  assert.equal(await connects(a.ip, 7000), true, 'the root namespace reaches a host over the bridge');
  assert.equal(reachable('b', a.ip), true, 'hosts reach each other');

  // Partition between two hosts only: a and b no longer talk, the root namespace still reaches both.
  hosts.partition('a', ['b']);
  assert.equal(reachable('b', a.ip), false);
  assert.equal(reachable('a', b.ip), false);
  assert.equal(await connects(a.ip, 7000), true);
  hosts.heal('a');
  assert.equal(reachable('b', a.ip), true);

  // A full partition: link down, no one reaches a.
  hosts.partition('a');
  assert.equal(await connects(a.ip, 7000, 800), false);
  hosts.heal('a');
  assert.equal(await connects(a.ip, 7000), true);

  // Paused: connections are accepted by the kernel but the process never answers; resumed, it does.
  hosts.pause('a');
  assert.equal(await connects(a.ip, 7000, 800), false);
  hosts.resume('a');
  assert.equal(await connects(a.ip, 7000), true);

  // Killed: every process of the host is gone; the other host lives on.
  hosts.kill('a');
  for (let i = 0; i < 100 && hosts.pids('a').length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(hosts.pids('a'), []);
  assert.equal(await connects(a.ip, 7000, 800), false);
  assert.equal(await connects(b.ip, 7000), true);

  hosts.teardown();
  hosts.teardown();
  const left = execFileSync('ip', ['netns', 'list']).toString() + execFileSync('ip', ['-o', 'link']).toString();
  assert.equal(left.includes(PREFIX), false, 'teardown leaves no namespace or link of the prefix');
});

test('netns hosts: leftovers of a crashed owner are removed by the next create; a live owner\'s are refused', { skip }, async () => {
  const prefix = `${PREFIX}x`.slice(0, 6);
  // A child process creates hosts and dies without tearing down.
  execFileSync(process.execPath, ['--import', 'tsx', '-e', `
    const { NetnsHosts } = await import(${JSON.stringify(new URL('../../src/cluster/local/netns-hosts.ts', import.meta.url).pathname)});
    const h = NetnsHosts.create('${prefix}'); h.addHost('z');
    process.exit(0);`], { stdio: 'inherit' });
  assert.match(execFileSync('ip', ['netns', 'list']).toString(), new RegExp(`${prefix}-z`));
  const again = NetnsHosts.create(prefix);
  try {
    assert.doesNotMatch(execFileSync('ip', ['netns', 'list']).toString(), new RegExp(`${prefix}-z`));
    assert.throws(() => NetnsHosts.create(prefix), /belong to the running process/);
  } finally {
    again.teardown();
  }
  assert.throws(() => NetnsHosts.create('Bad-Prefix'), /prefix must be/);
});
