// A real nats-server for the host-node tests, on 127.0.0.1 and a free port, with a user and password. Found as
// $NATS_SERVER, on the PATH, or where Debian's nats-server package puts it (.ci/run installs it); a test that
// cannot find one skips with the reason printed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect } from 'node:net';

export function findNatsServer(): string | null {
  const candidates = [process.env.NATS_SERVER, '/usr/sbin/nats-server', '/usr/bin/nats-server'].filter((c): c is string => !!c);
  for (const c of candidates) if (existsSync(c)) return c;
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : null;
}

export const natsServerPath = findNatsServer();
export const natsMissing = natsServerPath ? null : 'nats-server was not found ($NATS_SERVER, PATH, /usr/sbin): install Debian\'s nats-server (.ci/run does)';
if (natsMissing) console.warn(`host-node tests skipped: ${natsMissing}`);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface NatsServer {
  port: number;
  url: string;
  user: string;
  password: string;
  /** Stop it (SIGTERM, then SIGKILL) and wait for the exit. */
  stop(): Promise<void>;
  /** Stop it and start it again on the same port (the clients' reconnect is what is tested). */
  restart(): Promise<void>;
}

async function listening(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * `config`: a nats-server configuration for the port (TLS, nkey users...); without it, one user and password
 * on the command line.
 */
export async function startNatsServer(config?: (port: number) => string): Promise<NatsServer> {
  if (!natsServerPath) throw new Error(natsMissing!);
  const port = await freePort();
  const user = 'fabric';
  const password = 'nats-test-password';
  let args = ['-a', '127.0.0.1', '-p', String(port), '--user', user, '--pass', password];
  if (config) {
    const file = join(mkdtempSync(join(tmpdir(), 'fabric-lab-nats-conf-')), 'nats.conf');
    writeFileSync(file, config(port));
    args = ['-c', file];
  }
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(natsServerPath, args, { stdio: 'ignore' });
    await listening(port, child);
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  };
  await launch();
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    user,
    password,
    stop,
    async restart() {
      await stop();
      await launch();
    },
  };
}
