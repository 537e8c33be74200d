// Schemas of the log commands' payloads, spread into api-schema.ts's table, and the request types inferred
// from them (log-api.ts re-exports them). A file argument is checked again by the fabric against the session
// folder; here only its shape is bounded.
import { z } from 'zod';

const id = z.string().min(1).max(200);

/** A session-relative path with `/` separators: no backslash, no NUL, no empty or `.`/`..` segment, not absolute. */
const sessionFile = z
  .string()
  .min(1)
  .max(1000)
  .refine((f) => !f.includes('\\') && !f.includes('\0') && !f.startsWith('/') && f.split('/').every((s) => s !== '' && s !== '.' && s !== '..'), {
    message: 'a log file is a path inside the session folder as listLogs gives it (no "..", no leading "/", no backslashes)',
  });

const exportSchedule = z.strictObject({
  /** A node-cron expression (5 or 6 fields), run on the wall clock; e.g. every 15 minutes: `*\/15 * * * *`. */
  cron: z.string().min(1).max(200),
  /** Scheduled exports kept; older ones are deleted. */
  keep: z.number().int().min(1).max(1000),
});

export const logCommandArgs = {
  listLogs: z.union([
    z.strictObject({ instanceId: id }),
    z.strictObject({ component: z.literal('front-end') }),
    z.strictObject({ component: z.literal('fabric-controller'), poolId: id }),
    z.strictObject({ component: z.literal('host-agent'), hostId: id }),
  ]),
  readLog: z.strictObject({
    file: sessionFile,
    fromLine: z.number().int().min(0).max(2 ** 40),
    count: z.number().int().min(1).max(10_000),
    /** 'text': the page as one string (LogTextView); absent or 'lines': an array of lines. */
    as: z.enum(['lines', 'text']).optional(),
  }),
  readLogLevels: z.strictObject({
    file: sessionFile,
    fromLine: z.number().int().min(0).max(2 ** 40),
    count: z.number().int().min(1).max(1_000_000),
  }),
  queryEvents: z.strictObject({
    deploymentId: id.optional(),
    roleName: id.optional(),
    instanceId: id.optional(),
    requestId: id.optional(),
    kinds: z.array(z.enum(['instance-status', 'fault', 'operation', 'fabric-error'])).max(4).optional(),
    before: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  }),
  exportSession: z.strictObject({
    /** Where to write the .zip; absent: the session's exports folder. Only the Electron shell sets it (from its save dialog). */
    path: z.string().min(1).max(4096).optional(),
    /** Electron only: ask the user where with a save dialog (the shell fills in `path`). */
    saveAs: z.boolean().optional(),
  }),
  getExportStatus: z.undefined(),
  setExportSchedule: z.strictObject({
    schedule: exportSchedule.nullable(),
  }),
};

/** The logs of one instance, or of one of the fabric's own components. */
export type LogListRequest = z.infer<typeof logCommandArgs.listLogs>;
/** A page of a log file: from line `fromLine` (numbered from 0), 1 to 10,000 lines, as lines or as one text. */
export type LogPageRequest = z.infer<typeof logCommandArgs.readLog>;
/** Level codes of lines from `fromLine`, 1 to 1,000,000 of them. */
export type LogLevelsRequest = z.infer<typeof logCommandArgs.readLogLevels>;
/** Newest first: only events with seq < before (the previous page's `next`); limit 1 to 1,000 (default 200). */
export type EventQuery = z.infer<typeof logCommandArgs.queryEvents>;
export type ExportRequest = z.infer<typeof logCommandArgs.exportSession>;
export type ExportSchedule = z.infer<typeof exportSchedule>;
