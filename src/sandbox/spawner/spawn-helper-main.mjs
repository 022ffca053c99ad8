// The spawner helper: a small, long-lived Node process that starts the sandboxes' helper processes
// (network-namespace holders, slirp4netns) for the server. fork() copies the parent's page tables:
// from the server (hundreds of MB resident) a spawn blocks its event loop for ~6-90 ms, from this
// process (tens of MB, nothing else to do) for a fraction of that, and on its own thread of control.
// Plain JavaScript on purpose: no TypeScript loader in it, so it stays small.
//
// Messages (IPC, JSON): {id, op: 'spawn', file, args, stdio, readyFd} → {id, pid} once the child
// wrote to readyFd, or {id, error}; {op: 'stop', pid, closeFds} closes those fds and SIGKILLs.
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

function stop({ pid, closeFds }) {
  const child = children.get(pid);
  if (!child) return;
  children.delete(pid);
  for (const fd of closeFds ?? []) child.stdio[fd]?.destroy();
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

process.on('message', (msg) => {
  if (msg.op === 'spawn') start(msg);
  else if (msg.op === 'stop') stop(msg);
});
process.on('disconnect', () => process.exit(0));
reply({ ready: true });
