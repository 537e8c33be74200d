// Reading, querying and exporting the session's logs through FabricApi on a real fabric (1000x): pages,
// events, a complete export, scheduled export, and every kind of bad input answered with a clear error.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../src-main/common/command-dispatcher';
import { Fabric } from '../../src-main/fabric/fabric';
import { lineSeverityCode } from '../../src-main/common/log-levels';
import { walkSession } from '../../src-main/logs/session-archive';
import { hostWorkerUrl } from '../support/built';
import { readZip } from '../support/read-zip';
import { deployReady, waitFor, refusal } from '../support/fabric-helpers';

let fabric: Fabric | null = null;
const cleanup: string[] = [];
afterEach(async () => {
  await fabric?.close();
  fabric = null;
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(seed: number): Promise<Fabric> {
  const session = mkdtempSync(join(tmpdir(), 'logs-api-'));
  cleanup.push(session);
  fabric = await Fabric.start({ hostWorkerUrl, timeScale: 1000, seed, batchIntervalMs: 10, sessionDir: session });
  return fabric;
}

/** Every entry of a zip, name -> bytes (CRCs checked). */
const unzip = async (file: string): Promise<Map<string, Buffer>> => new Map([...(await readZip(file))].map(([name, entry]) => [name, entry.data]));

describe('reading logs through the API', () => {
  it('pages a log, follows it as it grows, and answers a page past the end with the line count', async () => {
    const api = await start(41);
    const [target] = await deployReady(api);
    const agent = (await api.listLogs({ instanceId: target!.id })).find((f) => f.process === 'WaAppAgent')!;
    expect(agent.vmPath).toBe('C:\\Logs\\WaAppAgent.log');
    const first = await api.readLog({ file: agent.file, fromLine: 0, count: 5 });
    expect(first.lines[0]).toContain('WindowsAzureGuestAgent starting');
    // The same page as one text (the viewer's filter reads it so).
    expect(await api.readLog({ file: agent.file, fromLine: 0, count: 5, as: 'text' })).toMatchObject({ file: agent.file, fromLine: 0, text: first.lines.join('\n'), count: 5 });
    await waitFor('the log to grow', async () => (await api.readLog({ file: agent.file, fromLine: 0, count: 1 })).total > first.total);
    const { total } = await api.readLog({ file: agent.file, fromLine: 0, count: 1 });
    // Far past the end: at 1000x the file grows by hundreds of lines a second.
    const past = await refusal(api.readLog({ file: agent.file, fromLine: total + 1_000_000, count: 10 }));
    expect(past.code).toBe('BadRequest');
    expect(past.message).toMatch(/past the end of instances\/.*WaAppAgent\.log: it has \d+ lines/);

    // The level index the host worker writes beside the log: one code per line, as the viewer reads each line.
    // Codes are appended in chunks (4,096, or after 5 s): wait for the first.
    const codes = await waitFor('the level index', async () => {
      const view = await api.readLogLevels({ file: agent.file, fromLine: 0, count: 1_000 });
      return view.levels.length > 5 && view;
    });
    const lines = await api.readLog({ file: agent.file, fromLine: 0, count: codes.levels.length });
    expect(codes.levels.length).toBeGreaterThan(5);
    expect(codes.levels).toBe(lines.lines.map((l) => lineSeverityCode('app-agent', l)).join(''));
    expect(codes.levels).toMatch(/^i+.*h/); // the INFO lines of the start, heartbeats later
    expect(() => parseCommandArgs('readLogLevels', { file: agent.file, fromLine: 0, count: 2_000_000 })).toThrow(/count/);

    expect((await api.listLogs({ component: 'front-end' }))[0]!.file).toBe('fabric/front-end/FrontEnd.log');
    expect((await api.listLogs({ component: 'host-agent', hostId: target!.hostId }))[0]!.format).toBe('fabric');
  });

  it('refuses unknown instances, unknown files and paths that leave the session', async () => {
    const api = await start(42);
    expect((await refusal(api.listLogs({ instanceId: 'deployment9(9)/Nope_IN_0' }))).code).toBe('NotFound');
    expect((await refusal(api.listLogs({ component: 'host-agent', hostId: 'no-such-host' }))).code).toBe('NotFound');
    // Instance ids become folder names through safeName: ".." cannot climb out of instances/.
    for (const instanceId of ['../..', '../../fabric/hosts', 'deployment1(1)/../../fabric']) {
      expect((await refusal(api.listLogs({ instanceId }))).code, instanceId).toBe('NotFound');
    }
    expect((await refusal(api.listLogs({ instanceId: 'no-slash' }))).code).toBe('BadRequest');
    expect((await refusal(api.readLog({ file: 'instances/deployment9(9)/X/C/Logs/WaAppAgent.log', fromLine: 0, count: 1 }))).code).toBe('NotFound');
    for (const file of ['../../etc/passwd', 'fabric/../../../etc/passwd', '/etc/passwd', 'exports/x.zip', 'fabric\\..\\..\\x']) {
      const error = await refusal(api.readLog({ file, fromLine: 0, count: 1 }));
      expect(error.code, file).toBe('BadRequest');
      expect(error.message).toMatch(/not a log file of this session/);
    }
    // The transports' schema refuses the same before anything reaches the fabric.
    expect(() => parseCommandArgs('readLog', { file: '../x', fromLine: 0, count: 1 })).toThrow(/no "\.\."/);
    expect(() => parseCommandArgs('readLog', { file: 'fabric/x', fromLine: -1, count: 1 })).toThrow(/fromLine/);
    expect(() => parseCommandArgs('readLog', { file: 'fabric/x', fromLine: 0, count: 100_000 })).toThrow(/count/);
    expect(() => parseCommandArgs('readLog', { file: 'fabric/x', fromLine: 0, count: 1, as: 'json' })).toThrow(/readLog.*as/);
  });

  it('queries events by deployment, instance, role and request id, newest first, in pages', async () => {
    const api = await start(43);
    const [a, b] = await deployReady(api);
    await waitFor('records in the events file', async () => (await api.queryEvents({ instanceId: b!.id })).events.some((e) => e.kind === 'instance-status' && e.to === 'ReadyRole'));
    const all = await api.queryEvents({ deploymentId: a!.deploymentId });
    expect(all.events.length).toBeGreaterThan(10);
    expect(all.events[0]!.seq).toBeGreaterThan(all.events.at(-1)!.seq);
    const mine = await api.queryEvents({ instanceId: a!.id, kinds: ['instance-status'] });
    expect(mine.events.every((e) => e.kind === 'instance-status' && e.instanceId === a!.id)).toBe(true);
    expect((await api.queryEvents({ roleName: 'WorkerRole1' })).events.length).toBeGreaterThan(mine.events.length);
    const page1 = await api.queryEvents({ deploymentId: a!.deploymentId, limit: 3 });
    const page2 = await api.queryEvents({ deploymentId: a!.deploymentId, limit: 3, before: page1.next! });
    expect(page2.events[0]!.seq).toBeLessThan(page1.events.at(-1)!.seq);
    expect((await api.queryEvents({ requestId: 'no-such-request' })).events).toEqual([]);
  });
});

describe('exporting the session', () => {
  it('writes one zip holding every file of the session, the events and a manifest', async () => {
    const api = await start(44);
    const [target] = await deployReady(api);
    await api.injectFault({ kind: 'crash-role', instanceId: target!.id });
    // The crash is in the session's events file (the recycle it caused is what the archive must hold), then time stops.
    await waitFor('the crash in events.jsonl', async () =>
      (await api.queryEvents({ instanceId: target!.id, kinds: ['instance-status'] })).events.some((e) => e.kind === 'instance-status' && e.to === 'RestartingRole'),
    );
    await api.setClock({ paused: true });
    const out = mkdtempSync(join(tmpdir(), 'logs-export-'));
    cleanup.push(out);
    const info = await api.exportSession({ path: join(out, 'session.zip') });
    const zip = await unzip(info.path);
    const files = await walkSession(api.sessionDir, [join(api.sessionDir, 'exports')]);
    expect(files.length).toBeGreaterThan(15);
    // The export's own operation is logged as it ends, after the archive's snapshot: those two files may only have grown.
    const growing = new Set(['fabric/events.jsonl', 'fabric/front-end/FrontEnd.log']);
    for (const file of files) {
      const now = readFileSync(file.file);
      const archived = zip.get(file.name);
      if (growing.has(file.name)) expect(archived && now.subarray(0, archived.length).equals(archived), file.name).toBe(true);
      else expect(archived?.equals(now), file.name).toBe(true);
    }
    expect(zip.size).toBe(files.length + 1);
    const manifest = JSON.parse(zip.get('manifest.json')!.toString()) as Record<string, unknown>;
    expect(manifest).toMatchObject({ fabricLab: { version: expect.any(String) }, seed: 44, timeScale: 1000, events: 'fabric/events.jsonl' });
    expect((manifest.deployments as unknown[]).length).toBe(1);
    expect(zip.get('fabric/events.jsonl')!.toString().split('\n')[0]).toContain('"kind":"operation"');
    const op = (await api.getSnapshot()).operations.find((o) => o.requestId === info.requestId)!;
    expect(op).toMatchObject({ kind: 'ExportSession', status: 'Succeeded', progress: 1 });
    expect((await api.getExportStatus()).exports[0]!.id).toBe(info.id);
  });

  it('refuses an unwritable target and a bad cron expression, and the fabric keeps running', async () => {
    const api = await start(45);
    const out = mkdtempSync(join(tmpdir(), 'logs-export-'));
    cleanup.push(out);
    writeFileSync(join(out, 'a-file'), 'x');
    const error = await refusal(api.exportSession({ path: join(out, 'a-file', 'session.zip') }));
    expect(error.code).toBe('BadRequest');
    expect(error.message).toMatch(/Cannot write the export to .*a part of the path is a file/);
    expect((await refusal(api.exportSession({ path: 'relative.zip' }))).message).toMatch(/absolute/);
    const cron = await refusal(api.setExportSchedule({ schedule: { cron: '*/15 * * *', keep: 4 } }));
    expect(cron.message).toMatch(/"\*\/15 \* \* \*" is not a valid cron expression: it has 4 fields/);
    const field = await refusal(api.setExportSchedule({ schedule: { cron: '99 * * * *', keep: 4 } }));
    expect(field.message).toMatch(/is not a valid cron expression/);
    const status = await api.setExportSchedule({ schedule: { cron: '*/15 * * * *', keep: 4 } });
    expect(status.schedule).toEqual({ cron: '*/15 * * * *', keep: 4 });
    expect(status.nextRun).toBeGreaterThan(Date.now());
    expect((await api.setExportSchedule({ schedule: null })).schedule).toBeNull();
    await deployReady(api); // still running
  });

  it('runs a scheduled export every second and keeps only the last N', async () => {
    const api = await start(46);
    await api.setExportSchedule({ schedule: { cron: '* * * * * *', keep: 2 } });
    await waitFor('three scheduled exports', async () => (await api.getSnapshot()).operations.filter((o) => o.kind === 'ExportSession' && o.status === 'Succeeded').length >= 3, 10_000);
    await api.setExportSchedule({ schedule: null });
    // An export the last tick started ends (and prunes) before the folder is read.
    const status = await waitFor('no export running', async () => {
      const s = await api.getExportStatus();
      return s.progress === null && s;
    });
    const { readdirSync } = await import('node:fs');
    const kept = readdirSync(join(api.sessionDir, 'exports')).filter((n) => n.endsWith('.zip')).sort();
    // Three or more were written and exactly the newest two are left.
    const newest = status.exports.filter((e) => e.scheduled).map((e) => basename(e.path)).sort().slice(-2);
    expect(status.exports.filter((e) => e.scheduled).length).toBeGreaterThanOrEqual(2);
    expect(kept).toEqual(newest);
    expect(kept).toHaveLength(2);
  });
});
