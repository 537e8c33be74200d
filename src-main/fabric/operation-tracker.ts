// The operations users follow: each request RDFE accepts (and each session export) is an OperationView,
// InProgress until it Succeeded or Failed, logged in FrontEnd.log and the session's events and pushed to
// the UI. Kept apart from RDFE so that anything that runs as an operation (the session exporter) is
// tracked the same way.
import { randomUUID } from 'node:crypto';
import type { FabricErrorInfo, OperationKind, OperationView } from '../common/fabric-api';
import type { EventHub } from './event-hub';
import type { FabricLogs } from './fabric-logs';

/** Operations kept for the UI; older ended ones are dropped. */
const keptOperations = 500;
/** API calls kept beside them: a client polling Get Operation Status makes one a second. */
const keptCalls = 200;

/** One running operation as its owner drives it. */
export interface TrackedOperation {
  operation: OperationView;
  progress(fraction: number): void;
  end(error: string | null): void;
}

export class OperationTracker {
  private readonly operations = new Map<string, OperationView>();
  /** API calls that started no operation, kept apart so that a polling client never pushes operations out. */
  private readonly calls = new Map<string, OperationView>();
  /** The deployment each running operation acts on, for its events (its target may be an instance). */
  private readonly deployments = new Map<string, string>();

  constructor(
    private readonly events: EventHub,
    private readonly now: () => number,
    /** FrontEnd.log and the session's operation events. */
    private readonly logs?: FabricLogs,
  ) {}

  /** Operations and API calls, in the order they started. */
  views(): OperationView[] {
    return [...this.operations.values(), ...this.calls.values()].sort((a, b) => a.startedAt - b.startedAt);
  }

  /** The operation a request started, if it started one (API calls are not operations). */
  get(requestId: string): OperationView | undefined {
    return this.operations.get(requestId);
  }

  /**
   * A Service Management API call that started no operation (a read, or one refused before it could):
   * ended as it is recorded, pushed to the UI; its FrontEnd.log line is the API's own.
   */
  recordCall(requestId: string, target: string, detail: string, error: string | null): void {
    if (this.operations.has(requestId)) return;
    const at = this.now();
    const call: OperationView = { requestId, kind: 'ApiCall', target, status: error ? 'Failed' : 'Succeeded', error, startedAt: at, endedAt: at, detail };
    this.calls.set(requestId, call);
    for (const id of this.calls.keys()) {
      if (this.calls.size <= keptCalls) break;
      this.calls.delete(id);
    }
    this.events.publish({ type: 'operation', operation: { ...call } });
  }

  /** Accept an operation: InProgress from now. `deploymentId`: the deployment it acts on, when its target is not one. */
  start(kind: OperationKind, target: string, requestId: string = randomUUID(), deploymentId?: string, detail?: string): OperationView {
    const operation: OperationView = { requestId, kind, target, status: 'InProgress', error: null, startedAt: this.now(), endedAt: null, ...(detail ? { detail } : {}) };
    this.deployments.set(requestId, deploymentId ?? (target.startsWith('deployment') ? target : ''));
    this.logs?.frontEnd.write('INFO', `${kind} ${target}${detail ? ` ${detail}` : ''}: accepted.`, requestId);
    this.logs?.operation(operation, this.deployments.get(requestId) || undefined);
    this.operations.set(operation.requestId, operation);
    for (const [id, op] of this.operations) {
      if (this.operations.size <= keptOperations) break;
      if (op.status !== 'InProgress') this.operations.delete(id);
    }
    this.events.publish({ type: 'operation', operation: { ...operation } });
    return operation;
  }

  /** Succeeded (`error` null) or Failed with the reason (and its code, when the fabric refused it). */
  end(operation: OperationView, failure: string | FabricErrorInfo | null): void {
    const error = typeof failure === 'string' || failure === null ? failure : failure.message;
    operation.status = error ? 'Failed' : 'Succeeded';
    operation.error = error;
    if (failure !== null && typeof failure !== 'string' && failure.code !== 'Internal') operation.errorCode = failure.code;
    operation.endedAt = this.now();
    this.logs?.frontEnd.write(error ? 'ERROR' : 'INFO', `${operation.kind} ${operation.target}: ${operation.status}${error ? `: ${error}` : '.'}`, operation.requestId);
    this.logs?.operation(operation, this.deployments.get(operation.requestId) || undefined);
    this.deployments.delete(operation.requestId);
    this.events.publish({ type: 'operation', operation: { ...operation } });
  }

  /** How far an operation under way has got (0..1), published with it. */
  progress(operation: OperationView, fraction: number): void {
    operation.progress = fraction;
    this.events.publish({ type: 'operation', operation: { ...operation } });
  }

  /** An operation outside a deployment's lifecycle (a session export), whose owner reports its progress. */
  trackOperation(kind: OperationKind, target: string): TrackedOperation {
    const operation = this.start(kind, target);
    return {
      operation,
      progress: (fraction) => {
        operation.progress = fraction;
        this.events.publish({ type: 'operation', operation: { ...operation } });
      },
      end: (error) => this.end(operation, error),
    };
  }
}
