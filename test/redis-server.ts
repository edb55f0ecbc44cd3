// A real redis-server for the queue tests (docs/scale-out.md): started on a free loopback port with
// its files in a temporary directory, stopped and removed afterwards. Without the redis-server binary
// the tests that need it are skipped with a message that says how to install it (CI installs it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { scratchDir } from './helpers.ts';

/** Why the queue tests are skipped, or null when redis-server is installed. */
export const REDIS_MISSING: string | null =
  spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0 ? null : 'redis-server is not installed (apt-get install redis-server); the queue tests need a real one';

/** A free TCP port on the loopback interface (nothing listens on it when this returns). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether a Redis server answers PING on the port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:PORT`, what --queue takes. */
  readonly url: string;
  /** Its data directory (the append-only file when `persist`). */
  readonly dir: string;
  /** Shuts the server down cleanly (SIGTERM: with `persist`, everything is on disk) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory, and waits until it answers. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

/**
 * Starts redis-server on a free loopback port and waits until it answers. With `persist`, every write
 * goes to an append-only file in its directory, so a restart loses nothing; without, it keeps nothing
 * on disk.
 */
export async function startRedis(options: { persist?: boolean } = {}): Promise<RedisServer> {
  if (REDIS_MISSING) throw new Error(REDIS_MISSING);
  const port = await freePort();
  const dir = scratchDir('l2o-redis-');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--loglevel', 'warning'];
  args.push(...(options.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr += d));
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    child = proc;
    const deadline = Date.now() + 10_000;
    while (!(await answers(port))) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with code ${proc.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    child = null;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
