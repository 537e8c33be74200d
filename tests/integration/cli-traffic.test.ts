// `fabric-lab traffic` as a user runs it (the built CLI): a bounded run against a loopback URL with its report,
// exit codes 0 / 1 / 2, bad options refused; and `fabric-lab run` saying where each input endpoint listens.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../..');
const cli = resolve(repoRoot, 'out/main/cli.js');
if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first (npm test does).`);

/** Run the CLI without blocking this process's event loop (the test's own server must keep answering). */
function cliRun(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => server?.close());

describe('fabric-lab traffic', () => {
  it('sends a bounded run, prints progress and the report, and exits 0 when everything was served', async () => {
    const { status, stdout } = await cliRun('traffic', `http://127.0.0.1:${port}/`, '--rate', '40', '--concurrency', '4', '--duration', '1');
    expect(stdout).toContain(`Sending 40/s, at most 4 in flight, for 1 s to http://127.0.0.1:${port}/.`);
    const report = stdout.match(/^Completed: sent (\d+) = served (\d+) \+ refused 0 \+ failed 0\.$/m);
    expect(report).not.toBeNull();
    // All 40 due were sent, or the report says how many the concurrency bound held back (a busy machine).
    const held = Number(/held back (\d+) request/.exec(stdout)?.[1] ?? 0);
    expect(Number(report![1]) + held).toBe(40);
    expect(report![1]).toBe(report![2]);
    expect(stdout).toContain('Bound: stopped at its duration bound (1 s).');
    expect(status).toBe(0);
  });

  it('counts refused connections and exits 1', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = (closed.address() as { port: number }).port;
    closed.close();
    const { status, stdout } = await cliRun('traffic', `http://127.0.0.1:${dead}/`, '--rate', '10', '--duration', '1', '--json');
    const done = JSON.parse(stdout.trim().split('\n').at(-1)!) as { event: string; sent: number; refused: number; served: number; failed: number };
    expect(done.event).toBe('done');
    expect(done.refused).toBe(done.sent);
    expect(done.sent).toBeGreaterThan(0);
    expect(status).toBe(1);
  });

  it('refuses bad options and URLs off loopback with exit 2, naming the rule', () => {
    const cases: [string[], RegExp][] = [
      [['traffic', 'http://127.0.0.1:1/', '--rate', '0'], /--rate must be a whole number from 1 to 2000, got "0"/],
      [['traffic', 'http://127.0.0.1:1/', '--concurrency', '9999'], /--concurrency must be a whole number from 1 to 256/],
      [['traffic', 'http://127.0.0.1:1/', '--duration', '601'], /--duration must be a number from 1 to 600/],
      [['traffic', 'http://example.com/'], /example\.com is not a loopback address/],
      [['traffic', 'ftp://127.0.0.1/'], /only http:\/\/ URLs/],
      [['traffic', 'not a url'], /"not a url" is not a URL/],
    ];
    for (const [args, message] of cases) {
      const result = spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
      expect(result.stderr).toMatch(message);
      expect(result.status).toBe(2);
    }
  });
});

describe('fabric-lab run', () => {
  it("says where each input endpoint listens on the deployment's VIP, as csrun did", async () => {
    const { status, stdout } = await cliRun('run', 'resources/samples/web-and-worker', 'resources/samples/web-and-worker/ServiceConfiguration.cscfg', '--time-scale', '1000', '--until-ready');
    expect(stdout).toMatch(/^WebFrontEnd\/HttpIn is running at http:\/\/127\.\d+\.\d+\.\d+:\d+\//m);
    expect(status).toBe(0);
  });
});
