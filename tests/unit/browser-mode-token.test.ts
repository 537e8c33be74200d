// Browser mode with --session DIR keeps its token in DIR, readable only by the user, so a page left open
// works again after the server restarts; the token never leaves in a session export.
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { browserTokenFile, walkSession } from '../../src-main/logs/session-archive';
import { sessionToken } from '../../src-main/serve/browser-mode';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fabric-lab-token-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('browser-mode token of a named session', () => {
  it('is written once with mode 0600 and the same token is answered on the next start', async () => {
    const first = await sessionToken(dir);
    expect(first).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await stat(join(dir, browserTokenFile))).mode & 0o777).toBe(0o600);
    expect(await sessionToken(dir)).toBe(first);
  });

  it('does not trust a kept token that others can read, or one that is not a token', async () => {
    const first = await sessionToken(dir);
    await chmod(join(dir, browserTokenFile), 0o644);
    const second = await sessionToken(dir);
    expect(second).not.toBe(first);
    expect((await stat(join(dir, browserTokenFile))).mode & 0o777).toBe(0o600);
    await writeFile(join(dir, browserTokenFile), 'short\n', { mode: 0o600 });
    const third = await sessionToken(dir);
    expect(third).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await readFile(join(dir, browserTokenFile), 'utf8')).trim()).toBe(third);
  });

  it('is left out of a session export', async () => {
    await sessionToken(dir);
    await writeFile(join(dir, 'events.jsonl'), '{}\n');
    expect((await walkSession(dir, [])).map((e) => e.name)).toEqual(['events.jsonl']);
  });
});
