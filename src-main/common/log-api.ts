// The part of the FabricApi contract that reads the session's logs, queries its events and exports it.
// Kept beside fabric-api.ts so the log commands' types live in one place; fabric-api.ts lists the commands.
import type { FabricErrorRecord, FaultRequest, OperationKind, OperationStatus, StatusChangeRecord } from './fabric-api';

/** Which shape a file's lines have, so the viewer picks its level/time parser by file; `text` for XML and the like. */
export type LogFileFormat = 'app-agent' | 'bootstrapper' | 'host-process' | 'iis' | 'events' | 'fabric' | 'text';

/** The logs of one instance, or of one of the fabric's own components. */
export type LogListRequest =
  | { instanceId: string }
  | { component: 'front-end' }
  | { component: 'fabric-controller'; poolId: string }
  | { component: 'host-agent'; hostId: string };

export interface LogFileInfo {
  /** The file's id for readLog: its path inside the session folder, with `/` separators. */
  file: string;
  /** Where it lives on the VM (C:\Logs\WaAppAgent.log); null for the fabric's components. */
  vmPath: string | null;
  /** The process or component that writes it (WaAppAgent, WaHostBootstrapper, FabricController...). */
  process: string;
  format: LogFileFormat;
  /** True for the file the process writes now; false for earlier rotations. */
  current: boolean;
  /** 0 for the current file, else the rotation number (1 is the oldest). */
  rotation: number;
  lines: number;
  bytes: number;
  /** Wall-clock ms of the last write. */
  modified: number;
}

export interface LogPageRequest {
  file: string;
  /** First line, numbered from 0. */
  fromLine: number;
  /** 1 to 10,000 lines. */
  count: number;
}

export interface LogPageView {
  file: string;
  fromLine: number;
  lines: string[];
  /** Lines in the file when the page was read. */
  total: number;
}

/** One thing that happened in the session, as kept in the session's events file (fabric/events.jsonl). */
export type SessionEvent =
  | (StatusChangeRecord & { seq: number })
  | { kind: 'fault'; seq: number; at: number; fault: FaultRequest; target: string; deploymentId?: string }
  | (FabricErrorRecord & { seq: number })
  | {
      kind: 'operation';
      seq: number;
      at: number;
      requestId: string;
      operation: OperationKind | 'ExportSession';
      target: string;
      status: OperationStatus;
      error: string | null;
      deploymentId?: string;
    };

export interface EventQuery {
  deploymentId?: string;
  roleName?: string;
  instanceId?: string;
  requestId?: string;
  kinds?: SessionEvent['kind'][];
  /** Newest first: only events with seq < before (the previous page's `next`). Absent: from the newest. */
  before?: number;
  /** 1 to 1,000 (default 200). */
  limit?: number;
}

export interface EventPage {
  /** Newest first. */
  events: SessionEvent[];
  /** Events in the session so far (matching or not). */
  total: number;
  /** Pass as `before` for the next (older) page; null when the start of the session was reached. */
  next: number | null;
}

export interface ExportRequest {
  /** Where to write the .zip; absent: the session's exports folder. */
  path?: string;
  /** Electron only: ask the user where with a save dialog (the shell fills in `path`). */
  saveAs?: boolean;
}

export interface ExportInfo {
  id: string;
  /** The operation that tracked it (its progress shows in the Activity panel). */
  requestId: string;
  path: string;
  files: number;
  bytes: number;
  scheduled: boolean;
  startedAt: number;
  endedAt: number;
}

export interface ExportSchedule {
  /** A node-cron expression (5 or 6 fields), run on the wall clock; e.g. every 15 minutes: `*\/15 * * * *`. */
  cron: string;
  /** Scheduled exports kept; older ones are deleted. */
  keep: number;
}

export interface ExportStatus {
  sessionDir: string;
  exportsDir: string;
  schedule: ExportSchedule | null;
  /** Wall-clock ms of the next scheduled run. */
  nextRun: number | null;
  /** 0..1 while an export runs, else null. */
  progress: number | null;
  /** Recent exports, newest first (what is still on disk of the scheduled ones). */
  exports: ExportInfo[];
}

export interface LogCommands {
  listLogs(request: LogListRequest): Promise<LogFileInfo[]>;
  readLog(request: LogPageRequest): Promise<LogPageView>;
  queryEvents(request: EventQuery): Promise<EventPage>;
  exportSession(request: ExportRequest): Promise<ExportInfo>;
  getExportStatus(): Promise<ExportStatus>;
  /** `null` stops scheduled export. */
  setExportSchedule(request: { schedule: ExportSchedule | null }): Promise<ExportStatus>;
}

export const logCommandNames = ['listLogs', 'readLog', 'queryEvents', 'exportSession', 'getExportStatus', 'setExportSchedule'] as const satisfies readonly (keyof LogCommands)[];
