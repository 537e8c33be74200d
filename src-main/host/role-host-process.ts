// WaHostBootstrapper's handle on a role's host process: a real child process running the package's role
// entry point (src-main/role-host). Its death is a real process exit; a hang in role code is a real hang
// that nothing in the host notices, as on Azure.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RoleTopology } from '../common/host-protocol';
import type { FromRoleHost, RoleEnvironmentData, ToRoleHost } from '../common/role-host-protocol';
import { trackChildProcess } from './child-processes';

export interface RoleHostEvents {
  /** OnStart returned: true means Run has started and the instance is Ready. */
  onStartReturned(ok: boolean): void;
  /** The role ended on its own: the process died, OnStart failed or returned false, or Run returned. */
  /** `crashed`: false when Run returned (the role recycles on purpose), true when the process died. */
  ended(reason: string, crashed: boolean): void;
  recycleRequested(): void;
  /** One line of the role's console output (its trace), for the host process log. */
  output(stream: 'stdout' | 'stderr', line: string): void;
}

/** The built child entry, beside the host worker in out/main. */
export const roleHostScript = fileURLToPath(new URL('./role-host.js', import.meta.url));

export class RoleHostProcess {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, (value: boolean) => void>();
  private stopRequested = false;
  private runReturned = false;
  private lastError = '';
  private done = false;
  private readonly ping: ReturnType<typeof setInterval>;

  constructor(
    readonly processName: string,
    script: string,
    options: { cwd: string; env: Record<string, string> },
    private readonly events: RoleHostEvents,
  ) {
    this.child = trackChildProcess(fork(script, [], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' }));
    this.child.on('message', (message: FromRoleHost) => this.fromChild(message));
    // 'close', not 'exit': by then stderr has been read to its end, so the exception line is known.
    this.child.on('close', (code, signal) => this.exited(code, signal));
    this.ping = setInterval(() => this.send({ type: 'ping' }), 1_000);
    this.ping.unref();
    // A spawn failure is the reason the process never ran; a later pipe error must not hide the role's own.
    this.child.on('error', (error) => {
      if (!this.lastError) this.lastError = error.message;
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      let rest = '';
      this.child[stream]!.setEncoding('utf8');
      this.child[stream]!.on('data', (chunk: string) => {
        const lines = (rest + chunk).split(/\r?\n/);
        rest = lines.pop()!;
        for (const line of lines) {
          // The reason a process died is the error's own line, not the stack frames under it.
          if (stream === 'stderr' && line.trim() && !/^\s+at /.test(line)) this.lastError = line.trim();
          this.events.output(stream, line);
        }
      });
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The process itself (a frozen guest pauses it). */
  get childProcess(): ChildProcess {
    return this.child;
  }

  start(modulePath: string, environment: RoleEnvironmentData): void {
    this.send({ type: 'start', modulePath, environment });
  }

  /** Raise StatusCheck in the role; resolves true when it called setBusy (false if it cannot answer). */
  statusCheck(): Promise<boolean> {
    return this.ask((id) => ({ type: 'status-check', id }));
  }

  /** Raise Changing with the changed settings (then Changed unless cancelled); resolves true when role code cancelled. */
  changing(settings: Record<string, string>): Promise<boolean> {
    return this.ask((id) => ({ type: 'changing', id, settings }));
  }

  /** Raise Changing for a topology change (then Changed unless cancelled); resolves true when role code cancelled. */
  topologyChanging(roles: RoleTopology[], changedRoles: string[]): Promise<boolean> {
    return this.ask((id) => ({ type: 'topology', id, roles, changedRoles }));
  }

  /** A question the process answers by id (its answer, or false when it cannot be asked). */
  private ask(message: (id: number) => ToRoleHost): Promise<boolean> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      if (!this.send(message(id))) {
        this.pending.delete(id);
        resolve(false);
      }
    });
  }

  /** Raise Stopping, call OnStop, and let the process exit; the caller bounds how long with kill(). */
  stop(): void {
    this.stopRequested = true;
    if (!this.send({ type: 'stop' })) this.kill();
  }

  kill(): void {
    this.stopRequested = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private send(message: ToRoleHost): boolean {
    if (!this.child.connected) return false;
    // A message racing the process's exit fails with EPIPE; the exit itself is what the bootstrapper hears.
    this.child.send(message, () => {});
    return true;
  }

  private fromChild(message: FromRoleHost): void {
    switch (message.type) {
      case 'on-start':
        this.events.onStartReturned(message.result);
        break;
      case 'run-returned':
        this.runReturned = true;
        break;
      case 'status':
        this.pending.get(message.id)?.(message.busy);
        this.pending.delete(message.id);
        break;
      case 'changing-answer':
        this.pending.get(message.id)?.(message.cancelled);
        this.pending.delete(message.id);
        break;
      case 'recycle-requested':
        this.events.recycleRequested();
        break;
      case 'error':
        this.lastError = `${message.phase} threw ${message.message}`;
        break;
      default:
        break;
    }
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.ping);
    for (const resolve of this.pending.values()) resolve(false);
    this.pending.clear();
    if (this.stopRequested) return;
    const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
    if (this.runReturned) this.events.ended(`Run returned, so the role recycles (${this.processName} ${how}).`, false);
    else this.events.ended(`${this.processName} ${how}${this.lastError ? `: ${this.lastError}` : ''}.`, true);
  }
}
