// Listing an instance's logs while its files come and go: a file removed between the listing and its line count
// (a re-created VM's drive, a rotation) is left out of the list; the listing does not fail.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { instanceFolder } from '../../src-main/logs/instance-paths';
import { LogPageError, logPages } from '../../src-main/logs/log-pages';
import { listInstanceLogs } from '../../src-main/logs/session-files';

let session = '';
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(session, { recursive: true, force: true });
});

describe('listing an instance’s logs', () => {
  it('leaves out a file that is gone by the time its lines are counted, and lists the rest', async () => {
    session = mkdtempSync(join(tmpdir(), 'session-files-listing-'));
    const logs = join(instanceFolder(session, 'deployment1(1)', 'WorkerRole1_IN_0'), 'C', 'Logs');
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, 'WaAppAgent.log'), 'a line\n');
    writeFileSync(join(logs, 'WaHostBootstrapper.log'), 'a line\n');
    const count = logPages.lineCount.bind(logPages);
    vi.spyOn(logPages, 'lineCount').mockImplementation(async (file: string) => {
      if (file.endsWith('WaHostBootstrapper.log')) throw new LogPageError('LogNotFound', `There is no log file ${file}.`);
      return count(file);
    });
    const listed = await listInstanceLogs(session, 'deployment1(1)', 'WorkerRole1_IN_0');
    expect(listed?.map((f) => f.file.split('/').at(-1))).toEqual(['WaAppAgent.log']);
  });

  it('still fails on anything else', async () => {
    session = mkdtempSync(join(tmpdir(), 'session-files-listing-'));
    const logs = join(instanceFolder(session, 'deployment1(1)', 'WorkerRole1_IN_0'), 'C', 'Logs');
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, 'WaAppAgent.log'), 'a line\n');
    vi.spyOn(logPages, 'lineCount').mockRejectedValue(new Error('disk on fire'));
    await expect(listInstanceLogs(session, 'deployment1(1)', 'WorkerRole1_IN_0')).rejects.toThrow('disk on fire');
  });
});
