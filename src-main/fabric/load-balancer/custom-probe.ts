// A custom LoadBalancerProbe from the .csdef, run by the load balancer against each instance behind an
// endpoint, on the emulated clock: every intervalInSeconds an http GET of the probe's path (200 passes) or a
// tcp connect (accepted passes) to the instance's DIP. A passing probe puts the instance in rotation at once; a
// probe that has not passed for timeoutInSeconds takes it out. With a custom probe the guest agent's answer
// (Ready or not) no longer decides: the probe does, as in Azure.
import { request } from 'node:http';
import { connect } from 'node:net';

export interface ProbeConfig {
  name: string;
  protocol: 'http' | 'tcp';
  path?: string;
  /** The port on the instance; absent: the endpoint's own port there. */
  port?: number;
  intervalMs: number;
  timeoutMs: number;
}

interface ProbeState {
  nextAt: number;
  lastPassAt: number | null;
  firstAt: number;
  healthy: boolean;
  inFlight: boolean;
  lastResult: string;
  lastAt: number | null;
}

/** One attempt: "200 OK", "HTTP 500", "refused", "timed out". */
function attempt(config: ProbeConfig, host: string, port: number, timeoutMs: number): Promise<{ pass: boolean; result: string }> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (pass: boolean, result: string) => {
      if (done) return;
      done = true;
      resolve({ pass, result });
    };
    if (config.protocol === 'tcp') {
      const socket = connect({ host, port }, () => {
        socket.destroy();
        finish(true, 'connected');
      });
      socket.on('error', (e: NodeJS.ErrnoException) => finish(false, e.code === 'ECONNREFUSED' ? 'refused' : (e.code ?? e.message)));
      socket.setTimeout(timeoutMs, () => {
        socket.destroy();
        finish(false, 'timed out');
      });
      return;
    }
    const req = request({ host, port, path: config.path ?? '/', agent: false, headers: { 'user-agent': 'Load Balancer Agent' } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      finish(status === 200, status === 200 ? '200 OK' : `HTTP ${status}`);
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      finish(false, 'timed out');
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish(false, e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'ECONNRESET' ? 'reset' : (e.code ?? e.message)));
    req.end();
  });
}

export class CustomProbe {
  private readonly states = new Map<string, ProbeState>();

  constructor(readonly config: ProbeConfig) {}

  healthy(instanceId: string): boolean {
    return this.states.get(instanceId)?.healthy ?? false;
  }

  view(instanceId: string): { lastResult: string; at: number | null } {
    const s = this.states.get(instanceId);
    return s ? { lastResult: s.lastResult, at: s.lastAt } : { lastResult: 'not probed yet', at: null };
  }

  /**
   * Probe each listening instance that is due. `now`: emulated ms; `scale`: emulated per real ms, to give an
   * attempt one interval of emulated time (in real ms, within 1 s and 10 s). `changed` when an instance entered
   * or left rotation.
   */
  tick(now: number, scale: number, targets: { instanceId: string; host: string | null; port: number }[], changed: () => void): void {
    const present = new Set(targets.map((t) => t.instanceId));
    for (const id of this.states.keys()) if (!present.has(id)) this.states.delete(id);
    for (const target of targets) {
      let state = this.states.get(target.instanceId);
      if (!state) {
        state = { nextAt: now, lastPassAt: null, firstAt: now, healthy: false, inFlight: false, lastResult: 'not probed yet', lastAt: null };
        this.states.set(target.instanceId, state);
      }
      if (state.inFlight || now < state.nextAt) continue;
      state.nextAt = now + this.config.intervalMs;
      if (!target.host) {
        this.record(state, false, 'not listening', now, changed);
        continue;
      }
      state.inFlight = true;
      // An attempt gets one interval of emulated time, but at least a real second: a busy machine is not a dead instance.
      const limit = Math.max(1_000, Math.min(10_000, this.config.intervalMs / Math.max(scale, 1e-3)));
      const s = state;
      void attempt(this.config, target.host, this.config.port ?? target.port, limit).then(({ pass, result }) => {
        s.inFlight = false;
        this.record(s, pass, result, now, changed);
      });
    }
  }

  private record(state: ProbeState, pass: boolean, result: string, at: number, changed: () => void): void {
    state.lastResult = result;
    state.lastAt = at;
    const was = state.healthy;
    if (pass) {
      state.lastPassAt = at;
      state.healthy = true;
    } else if (at - (state.lastPassAt ?? state.firstAt) >= this.config.timeoutMs) {
      state.healthy = false;
    }
    if (was !== state.healthy) changed();
  }
}
