// Jump to a time: a binary search over the file's lines through the API (about 20 small reads for a
// million lines), reading each probe's time from the first line that has one. Log lines are written in
// time order, so the first line at or after the time is where the view goes.
import type { FabricApi } from '../../src-main/common/fabric-api';
import type { LogFileFormat } from '../../src-main/common/log-api';
import { lineHeader } from './log-lines';

const probeLines = 20;

async function timeAt(api: FabricApi, file: string, format: LogFileFormat, line: number): Promise<number | null> {
  const page = await api.readLog({ file, fromLine: line, count: probeLines });
  for (const text of page.lines) {
    const at = lineHeader(format, text).at;
    if (at !== null) return at;
  }
  return null;
}

/** The first line whose time is >= `at`, or `total - 1` when every line is earlier. */
export async function lineAtTime(api: FabricApi, file: string, format: LogFileFormat, total: number, at: number): Promise<number> {
  let lo = 0;
  let hi = Math.max(0, total - 1);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const time = await timeAt(api, file, format, mid);
    if (time === null || time < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The time of the first timed line at or after `line` (what the jump box starts from). */
export function firstTime(api: FabricApi, file: string, format: LogFileFormat, line: number): Promise<number | null> {
  return timeAt(api, file, format, line);
}
