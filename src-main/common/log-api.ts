// The part of the FabricApi contract that reads the session's logs, queries its events and exports it.
// Kept beside fabric-api.ts so the log commands' types live in one place; fabric-api.ts lists the commands.
// Request types are inferred from the schemas (log-api-schema.ts).
import type { FaultRequest } from './api-schema';
import type { EventQuery, ExportRequest, ExportSchedule, LogListRequest, LogPageRequest } from './log-api-schema';
import type { OperationKind, OperationStatus, StatusChangeRecord } from './session-records';

export type { EventQuery, ExportRequest, ExportSchedule, LogListRequest, LogPageRequest } from './log-api-schema';

/** Which shape a file's lines have, so the viewer picks its level/time parser by file; `text` for XML and the like. */
export type LogFileFormat = 'app-agent' | 'bootstrapper' | 'host-process' | 'iis' | 'events' | 'fabric' | 'text';

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

export interface EventPage {
  /** Newest first. */
  events: SessionEvent[];
  /** Events in the session so far (matching or not). */
  total: number;
  /** Pass as `before` for the next (older) page; null when the start of the session was reached. */
  next: number | null;
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
