import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { SpawnHelper } from '../../src/sandbox/spawner/spawn-helper.js';
import type { LaunchedProcess } from '../../src/sandbox/spawner/launched-process.js';

/*
 * The spawner helper's `launch` (what the bwrap driver starts sandboxes with): a shell stands in
 * for the native launcher, with bwrap's fds — 3 the info fd it writes, 4 the seccomp program it
 * reads.
 */

function collect(l: LaunchedProcess): { out: () => string; err: () => string; closed: Promise<[number | null, NodeJS.Signals | null]> } {
  let out = '';
  let err = '';
  l.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  l.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => l.once('close', (code, signal) => resolve([code, signal])));
  return { out: () => out, err: () => err, closed };
}

describe('spawner helper: launch', () => {
  let helper: SpawnHelper;
  after(() => helper?.close());

  it('hands over stdout and stderr, reports the info pid, feeds fd 4 and reports the exit', async () => {
    helper = await SpawnHelper.start();
    const seccomp = Buffer.alloc(1234, 7);
    const l = await helper.launch('/bin/sh', ['-c', 'echo \'{"child-pid": 4242}\' >&3; wc -c <&4; echo "$GREETING" >&2; exit 3'], { GREETING: 'hello from the env' }, seccomp);
    assert.ok(l.pid! > 0);
    const io = collect(l);
    const exit = new Promise<number | null>((resolve) => l.once('exit', (code) => resolve(code)));
    assert.equal(await l.initPid, 4242);
    assert.equal(await exit, 3);
    assert.deepEqual(await io.closed, [3, null]);
    assert.equal(io.out().trim(), '1234', 'the whole seccomp program arrived on fd 4');
    assert.equal(io.err(), 'hello from the env\n', 'only the given environment');
    assert.equal(l.exitCode, 3);
  });

  it('loses no output written before the pipes were handed over', async () => {
    helper ??= await SpawnHelper.start();
    // Writes at once, before its info line: whatever the helper read itself would be lost.
    const l = await helper.launch('/bin/sh', ['-c', 'head -c 300000 /dev/zero | tr "\\0" x; echo \'{"child-pid": 1}\' >&3'], {}, Buffer.alloc(8));
    const io = collect(l);
    await io.closed;
    assert.equal(io.out().length, 300000);
  });

  it('kills through the helper; a launcher that exits before its info pid rejects it', async () => {
    helper ??= await SpawnHelper.start();
    const l = await helper.launch('/bin/sh', ['-c', 'exec sleep 30'], {}, Buffer.alloc(8));
    const io = collect(l);
    assert.equal(l.kill('SIGKILL'), true);
    assert.deepEqual(await io.closed, [null, 'SIGKILL']);
    await assert.rejects(l.initPid, /exited \(SIGKILL\) before the sandbox started/);
    assert.equal(l.kill('SIGKILL'), false, 'nothing to kill once it exited');
  });

  it('a launcher that cannot start rejects; a dead helper fails its launchers as killed', async () => {
    helper ??= await SpawnHelper.start();
    await assert.rejects(helper.launch('/nonexistent/launcher', [], {}, Buffer.alloc(8)), /ENOENT/);
    const own = await SpawnHelper.start();
    const l = await own.launch('/bin/sh', ['-c', 'exec sleep 30'], {}, Buffer.alloc(8));
    const exited = new Promise((resolve) => l.once('exit', (code, signal) => resolve([code, signal])));
    own.close();
    assert.deepEqual(await exited, [null, 'SIGKILL']);
    assert.equal(own.alive, false);
    await assert.rejects(own.launch('/bin/true', [], {}, Buffer.alloc(8)), /spawner helper exited/);
  });
});
