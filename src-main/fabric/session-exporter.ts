// Session export as the API offers it: one export at a time, tracked as an ExportSession operation whose
// progress reaches the UI like any operation's, a manifest describing the session, scheduled exports with
// retention, and a list of recent archives (browser mode's download route serves them by id).
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { toErrorInfo } from '../common/fabric-api';
import { FabricErrors } from '../common/fabric-errors';
import type { ExportInfo, ExportSchedule, ExportStatus } from '../common/log-api';
import { ExportScheduler, pruneScheduledExports, scheduledPrefix } from '../logs/export-schedule';
import { writeSessionArchive } from '../logs/session-archive';
import type { TrackedOperation } from './operation-tracker';

/** What the exporter needs of the operation tracker (operation-tracker.ts): an ExportSession operation to drive. */
export interface ExportTracker {
  trackOperation(kind: 'ExportSession', target: string): TrackedOperation;
}

/** Recent exports remembered for the status and the download route. */
const keptExports = 20;

/** package.json beside the build (out/main/*.js -> ../../) or the sources (src-main/fabric -> ../../). */
export function fabricLabVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const stamp = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export class SessionExporter {
  readonly exportsDir: string;
  private running: { progress: number } | null = null;
  private recent: ExportInfo[] = [];
  private readonly scheduler: ExportScheduler;

  constructor(
    private readonly sessionDir: string,
    private readonly manifest: () => Record<string, unknown>,
    private readonly tracker: ExportTracker,
    private readonly now: () => number,
  ) {
    this.exportsDir = join(sessionDir, 'exports');
    this.scheduler = new ExportScheduler(async () => {
      try {
        await this.export({}, true);
      } catch {
        // The failure is on the operation (and in the Activity panel); the schedule keeps going.
      }
    });
  }

  async export(request: { path?: string }, scheduled = false): Promise<ExportInfo> {
    if (this.running) throw FabricErrors.exportRunning();
    if (request.path !== undefined && !isAbsolute(request.path)) {
      throw FabricErrors.exportPathNotAbsolute(request.path);
    }
    const startedWall = Date.now();
    const name = `${scheduled ? scheduledPrefix : 'fabric-lab-session-'}${stamp(startedWall)}.zip`;
    if (request.path === undefined) mkdirSync(this.exportsDir, { recursive: true });
    const target = request.path ?? join(this.exportsDir, name);
    this.running = { progress: 0 };
    const track = this.tracker.trackOperation('ExportSession', target);
    const startedAt = this.now();
    let lastReport = 0;
    try {
      const manifest = { ...this.manifest(), export: { startedAt, startedAtWall: new Date(startedWall).toISOString(), scheduled, target } };
      const result = await writeSessionArchive({
        sessionDir: this.sessionDir,
        target,
        exclude: [this.exportsDir],
        extra: [{ name: 'manifest.json', data: Buffer.from(`${JSON.stringify({ ...manifest, endedAt: this.now(), endedAtWall: new Date().toISOString() }, null, 2)}\n`) }],
        onProgress: (done, total) => {
          const fraction = total === 0 ? 1 : done / total;
          this.running!.progress = fraction;
          // At most one operation update per 5%: the UI's progress bar, not a flood of events.
          if (fraction - lastReport >= 0.05) {
            lastReport = fraction;
            track.progress(Math.min(1, fraction));
          }
        },
      });
      const info: ExportInfo = { id: randomUUID(), requestId: track.operation.requestId, path: target, files: result.files, bytes: result.bytes, scheduled, startedAt, endedAt: this.now() };
      this.recent = [info, ...this.recent].slice(0, keptExports);
      track.progress(1);
      track.end(null);
      if (scheduled && this.scheduler.schedule) {
        const deleted = await pruneScheduledExports(this.exportsDir, this.scheduler.schedule.keep);
        this.recent = this.recent.filter((e) => !deleted.some((d) => e.path.endsWith(d)));
      }
      return info;
    } catch (error) {
      track.end(toErrorInfo(error).message);
      throw error;
    } finally {
      this.running = null;
    }
  }

  find(id: string): ExportInfo | undefined {
    return this.recent.find((e) => e.id === id);
  }

  setSchedule(schedule: ExportSchedule | null): ExportStatus {
    this.scheduler.set(schedule);
    return this.status();
  }

  status(): ExportStatus {
    return {
      sessionDir: this.sessionDir,
      exportsDir: this.exportsDir,
      schedule: this.scheduler.schedule,
      nextRun: this.scheduler.nextRun(),
      progress: this.running?.progress ?? null,
      exports: [...this.recent],
    };
  }

  close(): void {
    this.scheduler.stop();
  }
}
