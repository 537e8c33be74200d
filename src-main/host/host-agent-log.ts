// The host agent's own log (<session>/fabric/hosts/<hostId>/HostAgent.log), written in its worker.
import { ComponentLog } from '../logs/component-log';

export class HostAgentLog extends ComponentLog {
  constructor(sessionDir: string, hostId: string, now: () => number) {
    super(sessionDir, { kind: 'host-agent', hostId }, now);
  }
}
