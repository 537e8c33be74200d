// Schemas of the log commands' payloads (log-api.ts), spread into api-schema.ts's table. A file argument is
// checked again by the fabric against the session folder; here only its shape is bounded.
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
  exportSession: z.strictObject({ path: z.string().min(1).max(4096).optional(), saveAs: z.boolean().optional() }),
  getExportStatus: z.undefined(),
  setExportSchedule: z.strictObject({
    schedule: z.strictObject({ cron: z.string().min(1).max(200), keep: z.number().int().min(1).max(1000) }).nullable(),
  }),
};
