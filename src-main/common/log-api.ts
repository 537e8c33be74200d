// The part of the FabricApi contract that reads the session's logs, queries its events and exports it.
// Kept beside fabric-api.ts so the log commands' types live in one place; fabric-api.ts lists the commands.
// Request types are inferred from the schemas (log-api-schema.ts).
import type { FaultRequest } from './api-schema';
import type { EventQuery, ExportRequest, ExportSchedule, LogLevelsRequest, LogListRequest, LogPageRequest } from './log-api-schema';
import type { FabricErrorRecord, OperationKind, OperationStatus, StatusChangeRecord } from './session-records';

export type { EventQuery, ExportRequest, ExportSchedule, LogLevelsRequest, LogListRequest, LogPageRequest } from './log-api-schema';

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

/** A page as one string (readLog with `as: 'text'`): its `count` lines joined by '\n', none after the last. */
export interface LogTextView {
  file: string;
  fromLine: number;
  text: string;
  count: number;
  /** Lines in the file when the page was read. */
  total: number;
}

/** Level codes of a file's lines from its level index (common/log-levels.ts): one character per line from `fromLine`, as far as the index reaches (it may lag the file; read the lines past it). */
export interface LogLevelsView {
  file: string;
  fromLine: number;
  levels: string;
  /** Lines in the file when the codes were read. */
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
  /** `as: 'text'`: the page as one string, cheaper to send and to search than thousands of lines (the viewer's filter reads it so). */
  readLog(request: LogPageRequest & { as: 'text' }): Promise<LogTextView>;
  readLog(request: LogPageRequest & { as?: 'lines' }): Promise<LogPageView>;
  readLog(request: LogPageRequest): Promise<LogPageView | LogTextView>;
  readLogLevels(request: LogLevelsRequest): Promise<LogLevelsView>;
  queryEvents(request: EventQuery): Promise<EventPage>;
  exportSession(request: ExportRequest): Promise<ExportInfo>;
  getExportStatus(): Promise<ExportStatus>;
  /** `null` stops scheduled export. */
  setExportSchedule(request: { schedule: ExportSchedule | null }): Promise<ExportStatus>;
}

export const logCommandNames = ['listLogs', 'readLog', 'readLogLevels', 'queryEvents', 'exportSession', 'getExportStatus', 'setExportSchedule'] as const satisfies readonly (keyof LogCommands)[];
