// Scheduled session export with node-cron, and retention of the scheduled archives ("keep the last N").
// Schedules run on the wall clock, not the emulated one: they are about the user's disk, not the fabric.
import cron, { type ScheduledTask } from 'node-cron';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FabricErrors } from '../common/fabric-errors';
import type { ExportSchedule } from '../common/log-api';

export const scheduledPrefix = 'fabric-lab-scheduled-';

/** BadRequest naming the field that is wrong, e.g. `"*\/15 * * *" is not a cron expression: ...`. */
export function checkCronExpression(expression: string): void {
  const fields = expression.trim().split(/\s+/).length;
  const detail = cron.validateDetailed(expression);
  if (fields >= 5 && fields <= 6 && detail.valid) return;
  const problems =
    fields < 5 || fields > 6
      ? `it has ${fields} field${fields === 1 ? '' : 's'}; give 5 (minute hour day-of-month month day-of-week) or 6 (with seconds first)`
      : detail.errors.map((e) => `${e.field}${e.value !== undefined ? ` "${e.value}"` : ''}: ${e.message}`).join('; ') || 'it could not be parsed';
  throw FabricErrors.badCronExpression(expression, problems);
}

export class ExportScheduler {
  private task: ScheduledTask | null = null;
  private current: ExportSchedule | null = null;

  constructor(private readonly run: () => Promise<void>) {}

  get schedule(): ExportSchedule | null {
    return this.current;
  }

  nextRun(): number | null {
    return this.task?.getNextRun()?.getTime() ?? null;
  }

  set(schedule: ExportSchedule | null): void {
    if (schedule) checkCronExpression(schedule.cron);
    void this.task?.destroy();
    this.task = null;
    this.current = schedule;
    if (!schedule) return;
    // noOverlap: a slow export is not started twice; unref: a schedule alone does not keep the process up.
    this.task = cron.schedule(schedule.cron, () => this.run(), { noOverlap: true, name: 'fabric-lab-export' });
    this.task.unref();
  }

  stop(): void {
    void this.task?.destroy();
    this.task = null;
  }
}

/** Deletes the oldest scheduled archives in `dir` beyond `keep`; returns the names deleted. */
export async function pruneScheduledExports(dir: string, keep: number): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  // Names carry a sortable UTC stamp, so name order is age order.
  const ours = names.filter((n) => n.startsWith(scheduledPrefix) && n.endsWith('.zip')).sort();
  const doomed = ours.slice(0, Math.max(0, ours.length - keep));
  await Promise.all(doomed.map((n) => rm(join(dir, n), { force: true })));
  return doomed;
}
