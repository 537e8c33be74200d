// A bounded traffic run: `rate` requests a second for `durationMs`, at most `concurrency` in flight, against
// one URL (a VIP endpoint). Every request ends as served (an HTTP answer, any status), refused (the connection
// was refused or reset before any answer: no instance in rotation, a connection limit) or failed (timed out,
// cut mid-answer, another error), so sent = served + refused + failed once nothing is in flight. A request due
// while `concurrency` are in flight is held back and counted, not queued: the run says the bound was hit.
import { Agent, request } from 'node:http';
import type { TrafficRunStatus, TrafficRunView } from '../../common/fabric-api';
import { LatencyHistogram } from './traffic-counters';

export interface TrafficPlan {
  url: string;
  rate: number;
  concurrency: number;
  durationMs: number;
  keepAlive: boolean;
  /** Real ms a request may take before it counts as failed. */
  timeoutMs?: number;
}

export { trafficBounds } from '../../common/fabric-api';

/** How often the run looks at the clock to start the requests that are due. */
const tickMs = 10;

export class TrafficRun {
  private readonly agent: Agent;
  private readonly latency = new LatencyHistogram();
  private timer: ReturnType<typeof setInterval> | null = null;
  private startedReal = 0;
  private due = 0;
  private readonly requests = new Set<ReturnType<typeof request>>();
  private readonly view: TrafficRunView;

  constructor(
    id: string,
    private readonly plan: TrafficPlan,
    target: { deploymentId: string; endpointName: string },
    /** The run ended (completed, cancelled or failed); called once. */
    private readonly ended: (view: TrafficRunView) => void = () => {},
  ) {
    this.agent = new Agent({ keepAlive: plan.keepAlive, maxSockets: plan.concurrency });
    this.view = {
      id,
      deploymentId: target.deploymentId,
      endpointName: target.endpointName,
      url: plan.url,
      rate: plan.rate,
      concurrency: plan.concurrency,
      durationSeconds: plan.durationMs / 1000,
      keepAlive: plan.keepAlive,
      status: 'Running',
      startedAt: Date.now(),
      endedAt: null,
      progress: 0,
      sent: 0,
      served: 0,
      refused: 0,
      failed: 0,
      inFlight: 0,
      heldBack: 0,
      statuses: {},
      latencyP50Ms: null,
      latencyP99Ms: null,
      bounds: [],
      error: null,
    };
  }

  start(): void {
    this.startedReal = performance.now();
    this.timer = setInterval(() => this.tick(), tickMs);
    this.tick();
  }

  /** Stop sending; requests in flight are cut and count as failed. */
  cancel(): void {
    if (this.view.status !== 'Running') return;
    this.finish('Cancelled');
    for (const req of this.requests) req.destroy(Object.assign(new Error('the run was cancelled'), { code: 'ECANCELLED' }));
  }

  get running(): boolean {
    return this.view.status === 'Running' || this.view.inFlight > 0;
  }

  snapshot(): TrafficRunView {
    const v = this.view;
    return { ...v, statuses: { ...v.statuses }, bounds: [...v.bounds], latencyP50Ms: this.latency.quantile(0.5), latencyP99Ms: this.latency.quantile(0.99) };
  }

  private tick(): void {
    if (this.view.status !== 'Running') return;
    const elapsed = performance.now() - this.startedReal;
    this.view.progress = Math.min(1, elapsed / this.plan.durationMs);
    // Request k is due at k / rate seconds, k = 0 .. rate x duration - 1.
    const total = Math.round((this.plan.durationMs * this.plan.rate) / 1000);
    const shouldHave = Math.min(total, Math.floor((elapsed * this.plan.rate) / 1000) + 1);
    while (this.due < shouldHave) {
      this.due++;
      if (this.view.inFlight >= this.plan.concurrency) this.view.heldBack++;
      else this.send();
    }
    if (elapsed >= this.plan.durationMs) this.finish('Completed');
  }

  private send(): void {
    const v = this.view;
    v.sent++;
    v.inFlight++;
    const started = performance.now();
    let settled = false;
    const settle = (outcome: 'served' | 'refused' | 'failed', status?: number) => {
      if (settled) return;
      settled = true;
      v.inFlight--;
      v[outcome]++;
      if (status !== undefined) {
        v.statuses[status] = (v.statuses[status] ?? 0) + 1;
        this.latency.record(performance.now() - started);
      }
      this.requests.delete(req);
      if (v.status !== 'Running' && v.inFlight === 0) this.close();
    };
    const req = request(this.plan.url, { agent: this.agent, headers: { 'user-agent': 'FabricLab-Traffic/1.0' } }, (res) => {
      const status = res.statusCode ?? 0;
      res.on('data', () => {});
      res.on('end', () => settle('served', status));
      res.on('error', () => settle('failed'));
      res.on('aborted', () => settle('failed'));
    });
    let answered = false;
    req.on('response', () => void (answered = true));
    req.setTimeout(this.plan.timeoutMs ?? 10_000, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (error: Error & { code?: string }) => {
      const beforeAnswer = !answered && (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET');
      settle(beforeAnswer ? 'refused' : 'failed');
    });
    this.requests.add(req);
    req.end();
  }

  private finish(status: TrafficRunStatus): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const v = this.view;
    v.status = status;
    v.endedAt = Date.now();
    if (status === 'Completed') {
      v.progress = 1;
      v.bounds.push(`stopped at its duration bound (${v.durationSeconds} s)`);
    }
    if (v.heldBack > 0) v.bounds.push(`the concurrency bound (${v.concurrency} in flight) held back ${v.heldBack} request(s): the service answered slower than ${v.rate}/s needs`);
    if (v.inFlight === 0) this.close();
  }

  /** Nothing in flight any more: the agent's kept-alive sockets go, and the run reports its end. */
  private close(): void {
    this.agent.destroy();
    this.ended(this.snapshot());
  }
}
