import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

/** Why RabbitMQ tests cannot run here (undefined: they can). */
export function rabbitMqMissing(): string | undefined {
  return existsSync(SERVER) ? undefined : `RabbitMQ is not installed (${SERVER} missing): apt-get install rabbitmq-server (scripts/install.sh does)`;
}

export interface TestBroker {
  /** amqp://guest:guest@127.0.0.1:<port> */
  url: string;
  /** Stops the broker process (its data directory stays, so durable queues survive a restart). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * A private RabbitMQ node for one test file: its own node name, ports (AMQP, distribution, epmd)
 * and a temp directory for its database and logs, so it never meets the system's broker.
 */
export async function startTestBroker(): Promise<TestBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'flint-rmq-'));
  const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  const env = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: `flint-test-${port}@localhost`,
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
  };
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(SERVER, [], { env, cwd: dir, detached: true, stdio: 'ignore' });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const c = await amqp.connect(url);
        await c.close();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`RabbitMQ did not start on port ${port} (logs in ${dir}/log)`);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  };
  const stop = async () => {
    if (!child?.pid) return;
    const pid = child.pid;
    const exited = new Promise<void>((r) => child!.once('exit', () => r()));
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
    child = undefined;
  };
  await start();
  return {
    url,
    stop,
    start,
    async destroy() {
      await stop();
      // The epmd daemon this node started on its private port.
      spawnSync('epmd', ['-port', String(epmdPort), '-kill'], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
