// Planned maintenance on a schedule: every N emulated hours the fabric updates the host OS under each Running
// deployment (FrontEnd.platformUpdate: one upgrade domain at a time while the others serve), as Azure rolls
// host OS updates through its datacenters. Emulated time, not the wall clock, so that a monthly cycle can be
// watched at a high time scale. A deployment busy with another operation is skipped until the next round, and
// FrontEnd.log says so.
import type { EmulatedTimers, TimerHandle } from '../common/emulated-timers';
import type { DeploymentView, PlatformUpdateScheduleView } from '../common/fabric-api';
import { toErrorInfo } from '../common/fabric-api';
import type { ComponentLog } from '../logs/component-log';

const hourMs = 3_600_000;

export class PlatformUpdateSchedule {
  private timer: TimerHandle | null = null;
  private current: PlatformUpdateScheduleView = { everyHours: null, nextAt: null };

  constructor(
    private readonly timers: EmulatedTimers,
    private readonly deployments: () => DeploymentView[],
    private readonly update: (deploymentId: string) => void,
    /** FrontEnd.log. */
    private readonly log: ComponentLog,
  ) {}

  view(): PlatformUpdateScheduleView {
    return { ...this.current };
  }

  /** Every `everyHours` emulated hours from now, or never (null). */
  set(everyHours: number | null): PlatformUpdateScheduleView {
    this.timer?.cancel();
    this.timer = null;
    this.current = { everyHours, nextAt: null };
    this.log.write('INFO', everyHours === null ? 'Scheduled platform updates: off.' : `Scheduled platform updates: every ${everyHours} emulated hour(s).`);
    if (everyHours !== null) this.arm(everyHours * hourMs);
    return this.view();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private arm(every: number): void {
    this.current.nextAt = this.timers.now() + every;
    this.timer = this.timers.after(every, () => {
      this.arm(every);
      this.round();
    });
  }

  /** One round: a platform update of each Running deployment; one that cannot take it now waits for the next. */
  private round(): void {
    const running = this.deployments().filter((d) => d.status === 'Running');
    this.log.write('INFO', `Scheduled platform update: ${running.length} Running deployment(s).`);
    for (const deployment of running) {
      try {
        this.update(deployment.id);
      } catch (error) {
        this.log.write('WARN', `Scheduled platform update of ${deployment.id} skipped until the next round: ${toErrorInfo(error).message}`);
      }
    }
  }
}
