// Background startup tasks as the agents they start (seed H): a plugin's background task starts its agent
// (DiagnosticsAgent.exe, RemoteAccessAgent.exe), which keeps running with the role, and the plugin's simple
// task with /blockStartup waits until that agent has initialised. A real process has initialised once it
// writes its first line; an emulated one (a Windows program) after its startup-task time. Held by
// WaHostBootstrapper; the agents end with the role stack.
import type { InstanceLogs } from './instance-logs';

interface Agent {
  index: number;
  program: string;
  initialised: boolean;
  /** Blocked tasks waiting for it: called with null once it has initialised, or why it never will. */
  waiters: ((error: string | null) => void)[];
}

export class BackgroundAgents {
  private readonly agents = new Map<string, Agent>();

  constructor(private readonly logs: InstanceLogs) {}

  started(index: number, program: string, emulated: boolean): void {
    this.agents.set(program.toLowerCase(), { index, program, initialised: false, waiters: [] });
    this.logs.bootstrapper('INFO', `Task ${index + 1} started ${program}${emulated ? ' (emulated)' : ''}; it keeps running with the role.`);
  }

  initialised(program: string): void {
    const agent = this.agents.get(program.toLowerCase());
    if (!agent || agent.initialised) return;
    agent.initialised = true;
    this.logs.bootstrapper('INFO', `${agent.program} (task ${agent.index + 1}) has initialised.`);
    for (const waiter of agent.waiters.splice(0)) waiter(null);
  }

  exited(program: string, exitCode: number): void {
    const agent = this.agents.get(program.toLowerCase());
    if (!agent) return;
    this.agents.delete(program.toLowerCase());
    const why = `${agent.program} (task ${agent.index + 1}) exited with code ${exitCode}${agent.initialised ? '' : ' before it initialised'}.`;
    this.logs.bootstrapper(exitCode === 0 ? 'INFO' : 'WARN', why);
    for (const waiter of agent.waiters.splice(0)) waiter(why);
  }

  /**
   * A /blockStartup task of `program`: `then` runs once its agent has initialised (at once if it has), or with
   * the reason it never will. False when no such agent runs: there is nothing to wait for.
   */
  whenInitialised(program: string, then: (error: string | null) => void): boolean {
    const agent = this.agents.get(program.toLowerCase());
    if (!agent) return false;
    if (agent.initialised) then(null);
    else agent.waiters.push(then);
    return true;
  }

  /** The role stack is going away: the agents with it, and nothing waits any more. */
  clear(): void {
    this.agents.clear();
  }
}
