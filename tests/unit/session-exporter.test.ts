// Scheduled exports that cannot run still leave a trace: no operation carries them, so the exporter says so.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OperationView } from '../../src-main/common/fabric-api';
import { SessionExporter, type ExportTracker } from '../../src-main/fabric/session-exporter';

let session = '';
afterEach(() => rmSync(session, { recursive: true, force: true }));

const tracker: ExportTracker = {
  trackOperation: (kind, target) => ({
    operation: { requestId: `r-${target}`, kind, target, status: 'InProgress', startedAt: 0, endedAt: null, error: null } as unknown as OperationView,
    progress: () => {},
    end: () => {},
  }),
};

describe('a scheduled export', () => {
  it('that finds another export running is refused with a message naming the Conflict, and the running one completes', async () => {
    session = mkdtempSync(join(tmpdir(), 'session-exporter-'));
    mkdirSync(join(session, 'fabric'));
    writeFileSync(join(session, 'fabric', 'events.jsonl'), '{}\n');
    const skipped: string[] = [];
    const exporter = new SessionExporter(session, () => ({}), tracker, () => 0, (m) => skipped.push(m));

    const running = exporter.export({});
    await exporter.runScheduled();
    expect(skipped).toEqual(['The scheduled export did not run: An export is already running; wait for it to finish.']);
    expect((await running).files).toBeGreaterThan(0);

    // With nothing running, the scheduled one runs and nothing is reported as skipped.
    await exporter.runScheduled();
    expect(skipped).toHaveLength(1);
    expect(exporter.status().exports.filter((e) => e.scheduled)).toHaveLength(1);
    exporter.close();
  });
});
