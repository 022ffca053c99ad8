// The spawner helper: a small, long-lived Node process that starts the sandboxes' helper processes
// (network-namespace holders, slirp4netns) for the server. fork() copies the parent's page tables:
// from the server (hundreds of MB resident) a spawn blocks its event loop for ~6-90 ms, from this
// process (tens of MB, nothing else to do) for a fraction of that, and on its own thread of control.
// Plain JavaScript on purpose: no TypeScript loader in it, so it stays small.
//
// Messages (IPC, JSON): {id, op: 'spawn', file, args, stdio, readyFd} → {id, pid} once the child
// wrote to readyFd, or {id, error}; {op: 'stop', pid, closeFds} closes those fds and SIGKILLs.
// {id, op: 'launch', file, args, env, seccomp} starts a sandbox's launcher (see launch below) →
// {id, stream: 'stdout' | 'stderr'} each with the pipe's handle, {id, pid}, later {id, initPid}
// (bwrap's info fd) and {id, exit: {code, signal}}, or {id, error}; {op: 'kill', pid, signal}.
// The children's pipes end at this process: when it exits (the server died, the IPC channel
// closed), holders and slirp4netns see EOF and exit by themselves.
import { spawn } from 'node:child_process';

const children = new Map();

function reply(msg) {
  if (process.connected) process.send(msg);
}

function start({ id, file, args, stdio, readyFd }) {
  let child;
  try {
    child = spawn(file, args, { stdio, env: {} });
  } catch (err) {
    reply({ id, error: err.message });
    return;
  }
  let stderr = '';
  let answered = false;
  const answer = (msg) => {
    if (answered) return;
    answered = true;
    reply({ id, ...msg });
  };
  child.stdio[2]?.on('data', (c) => { if (stderr.length < 4096) stderr += c.toString(); });
  child.stdio[readyFd]?.once('data', () => {
    children.set(child.pid, child);
    answer({ pid: child.pid });
  });
  child.once('error', (err) => answer({ error: err.message }));
  child.once('exit', (code, signal) => {
    children.delete(child.pid);
    answer({ error: `exited (${code ?? signal})${stderr ? `: ${stderr.trim()}` : ''}` });
  });
}

/**
 * A sandbox launcher (the native init, which execs bwrap): fd 3 is bwrap's info fd, read here for
 * the sandbox's first pid; fd 4 takes the seccomp program, written here. Its stdout and stderr
 * pipes go to the server as handles, unread: the function's output never passes through this
 * process.
 */
function launch({ id, file, args, env, seccomp }) {
  let child;
  try {
    child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'], env });
  } catch (err) {
    reply({ id, error: err.message });
    return;
  }
  // Node starts reading a child's pipes at once; these must not be read before they are handed
  // over (what this process read would be lost), so reading stops in the same tick.
  for (const s of [child.stdout, child.stderr]) s?._handle?.readStop?.();
  child.stdio[4].on('error', () => {}).end(Buffer.from(seccomp, 'base64'));
  let info = '';
  let infoSent = false;
  child.stdio[3].on('data', (c) => {
    if (infoSent) return;
    info += c.toString();
    const m = /"child-pid"\s*:\s*(\d+)/.exec(info);
    if (m) {
      infoSent = true;
      reply({ id, initPid: Number(m[1]) });
    }
  });
  child.once('error', (err) => { if (child.pid === undefined) reply({ id, error: err.message }); });
  child.once('spawn', () => {
    children.set(child.pid, child);
    if (process.connected) {
      process.send({ id, stream: 'stdout' }, child.stdout);
      process.send({ id, stream: 'stderr' }, child.stderr);
    }
    reply({ id, pid: child.pid });
  });
  child.once('exit', (code, signal) => {
    children.delete(child.pid);
    reply({ id, exit: { code, signal } });
  });
}

function kill({ pid, signal }) {
  const child = children.get(pid);
  if (child && child.exitCode === null && child.signalCode === null) child.kill(signal ?? 'SIGKILL');
}

function stop({ pid, closeFds }) {
  const child = children.get(pid);
  if (!child) return;
  children.delete(pid);
  for (const fd of closeFds ?? []) child.stdio[fd]?.destroy();
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

process.on('message', (msg) => {
  if (msg.op === 'spawn') start(msg);
  else if (msg.op === 'launch') launch(msg);
  else if (msg.op === 'kill') kill(msg);
  else if (msg.op === 'stop') stop(msg);
});
process.on('disconnect', () => process.exit(0));
reply({ ready: true });
