// The fabric's side of the session's logs, on the main thread: the front end's and the fabric controllers'
// own logs, the session's events file, and the read side of the log commands (listLogs, readLog,
// queryEvents). Instance logs are never written here: their host workers write them.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FabricRecord, OperationView } from '../common/fabric-api';
import { FabricErrors } from '../common/fabric-errors';
import type { EventPage, EventQuery, LogFileInfo, LogListRequest, LogLevelsRequest, LogLevelsView, LogPageRequest, LogPageView, LogTextView } from '../common/log-api';
import { ComponentLog } from '../logs/component-log';
import { SessionEvents } from '../logs/session-events';
import { listComponentLogs, listInstanceLogs, readSessionLevels, readSessionPage, readSessionText } from '../logs/session-files';

/** A new session folder: the one given, or fabric-lab-session-<timestamp>-<random> in the OS temp folder. */
export function createSessionDir(sessionDir?: string): string {
  if (sessionDir) {
    mkdirSync(sessionDir, { recursive: true });
    return sessionDir;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return mkdtempSync(join(tmpdir(), `fabric-lab-session-${stamp}-`));
}

export interface KnownEntities {
  hasPool(poolId: string): boolean;
  hasHost(hostId: string): boolean;
}

export class FabricLogs {
  readonly frontEnd: ComponentLog;
  readonly events: SessionEvents;
  private readonly controllers = new Map<string, ComponentLog>();

  constructor(
    readonly sessionDir: string,
    private readonly now: () => number,
  ) {
    this.frontEnd = new ComponentLog(sessionDir, { kind: 'front-end' }, now);
    this.events = new SessionEvents(sessionDir);
  }

  controller(poolId: string): ComponentLog {
    let log = this.controllers.get(poolId);
    if (!log) {
      log = new ComponentLog(this.sessionDir, { kind: 'fabric-controller', pool: poolId }, this.now);
      this.controllers.set(poolId, log);
    }
    return log;
  }

  /** Status changes and faults, as the event hub orders them. */
  record(record: FabricRecord): void {
    if (record.kind === 'fault') {
      this.events.append({ kind: 'fault', at: record.at, fault: record.fault, target: record.target });
    } else if (record.kind === 'fabric-error') {
      this.events.append({ kind: 'fabric-error', at: record.at, source: record.source, message: record.message });
    } else {
      this.events.append({ ...record });
    }
  }

  /** An operation started or ended (the front end calls this at both). */
  operation(op: OperationView, deploymentId?: string): void {
    this.events.append({
      kind: 'operation',
      at: op.endedAt ?? op.startedAt,
      requestId: op.requestId,
      operation: op.kind,
      target: op.target,
      status: op.status,
      error: op.error,
      ...(deploymentId ? { deploymentId } : {}),
    });
  }

  async listLogs(request: LogListRequest, known: KnownEntities): Promise<LogFileInfo[]> {
    if ('instanceId' in request) {
      const slash = request.instanceId.indexOf('/');
      if (slash <= 0 || slash === request.instanceId.length - 1) {
        throw FabricErrors.notAnInstanceId(request.instanceId);
      }
      const files = await listInstanceLogs(this.sessionDir, request.instanceId.slice(0, slash), request.instanceId.slice(slash + 1));
      if (!files) throw FabricErrors.instanceLogsNotFound(request.instanceId);
      return files;
    }
    if (request.component === 'front-end') return (await listComponentLogs(this.sessionDir, { kind: 'front-end' })) ?? [];
    if (request.component === 'fabric-controller') {
      if (!known.hasPool(request.poolId)) throw FabricErrors.poolNotFound(request.poolId);
      return (await listComponentLogs(this.sessionDir, { kind: 'fabric-controller', pool: request.poolId })) ?? [];
    }
    if (!known.hasHost(request.hostId)) throw FabricErrors.hostNotFound(request.hostId);
    return (await listComponentLogs(this.sessionDir, { kind: 'host-agent', hostId: request.hostId })) ?? [];
  }

  readLog(request: LogPageRequest): Promise<LogPageView | LogTextView> {
    const read = request.as === 'text' ? readSessionText : readSessionPage;
    return read(this.sessionDir, request.file, request.fromLine, request.count);
  }

  readLogLevels(request: LogLevelsRequest): Promise<LogLevelsView> {
    return readSessionLevels(this.sessionDir, request.file, request.fromLine, request.count);
  }

  queryEvents(query: EventQuery): Promise<EventPage> {
    return this.events.query(query);
  }

  close(): void {
    this.frontEnd.close();
    for (const log of this.controllers.values()) log.close();
    this.events.close();
  }
}
