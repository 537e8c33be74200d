// Starts `npm run serve`'s built entry as a user would, and reads the URL (with its token) it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const serveEntry = fileURLToPath(new URL('../../../out/main/serve.js', import.meta.url));

export interface RunningServe {
  url: string;
  origin: string;
  /** The Service Management API's URL, as serve printed it. */
  managementUrl: string;
  /** The --session folder (management/ holds the publish settings, ca.pem and token). */
  session: string;
  stop(): Promise<void>;
}

/** `keepSession`: a session folder the test owns (kept when the server stops, e.g. to start it again). */
export async function startServe(args: string[] = [], keepSession?: string): Promise<RunningServe> {
  // The session's logs go to a folder of the test's own, removed when the server stops.
  const session = keepSession ?? mkdtempSync(join(tmpdir(), 'fabric-lab-e2e-session-'));
  const child: ChildProcess = spawn(process.execPath, [serveEntry, '--session', session, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FABRIC_LAB_CACHE_DIR: '' } });
  let output = '';
  const [url, managementUrl] = await new Promise<[string, string]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within 20 s:\n${output}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running at (http:\/\/\S+)/.exec(output);
      const management = /Service Management API: (https:\/\/\S+)/.exec(output);
      if (match && management) {
        clearTimeout(timer);
        resolve([match[1]!, management[1]!]);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before printing its URL:\n${output}`));
    });
  });
  return {
    url,
    origin: new URL(url).origin,
    managementUrl,
    session,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          if (keepSession === undefined) rmSync(session, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}
