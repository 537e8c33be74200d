// The log of one of the fabric's own components (front end, a fabric controller, a host agent). Lines
// about work a front-end request asked for carry `req <id>`, so one request can be followed from
// FrontEnd.log through FabricController.log and HostAgent.log to the instance's own logs.
import { fabricLine, type RuntimeLevel } from './log-formats';
import { fabricLogFile, type FabricComponent } from './instance-paths';
import { turnBatch } from './append-batch';
import { LogWriter } from './log-writer';

export class ComponentLog {
  private readonly writer: LogWriter;

  constructor(
    sessionDir: string,
    component: FabricComponent,
    private readonly now: () => number,
  ) {
    // One write per turn however many lines the component logs in it (append-batch.ts).
    this.writer = new LogWriter(fabricLogFile(sessionDir, component), { batch: turnBatch });
  }

  write(level: RuntimeLevel, message: string, requestId?: string | null): void {
    if (this.writer.closed) return;
    this.writer.write(fabricLine(this.now(), level, requestId ? `req ${requestId}: ${message}` : message));
  }

  close(): void {
    this.writer.close();
  }
}
