// Port walking, as the old local emulator did it: an endpoint asks for a port; a port that is taken, or
// privileged on this OS, walks up (80 -> 81 -> ...) until one binds. Pure: the caller supplies how to try a
// port, so the same walk serves VIP listeners (load balancer) and DIP listeners (host workers).

export type BindOutcome = 'bound' | 'in-use' | 'denied';

export interface PortWalk {
  port: number;
  /** Ports tried before the one that bound, with why each failed. */
  skipped: { port: number; why: 'in-use' | 'denied' }[];
}

/** How many ports a walk tries before it gives up (privileged ports skipped in one jump do not count). */
export const portWalkLimit = 200;

/**
 * Try `wanted`, then the ports above it. `unprivilegedFrom`: the first port this OS lets a non-root process
 * bind (Linux: /proc/sys/net/ipv4/ip_unprivileged_port_start); a denied port below it jumps there at once
 * instead of trying each privileged port. `wanted` 0 asks the OS for any free port.
 */
export async function walkPorts(wanted: number, tryBind: (port: number) => Promise<BindOutcome>, unprivilegedFrom = 1024): Promise<PortWalk> {
  if (!Number.isInteger(wanted) || wanted < 0 || wanted > 65_535) throw new Error(`Port ${wanted} is not a TCP port (0-65535).`);
  const skipped: PortWalk['skipped'] = [];
  let port = wanted;
  for (let tries = 0; tries < portWalkLimit && port <= 65_535; tries++) {
    const outcome = await tryBind(port);
    if (outcome === 'bound') return { port, skipped };
    if (port === 0) throw new Error('The OS gave no free port.');
    skipped.push({ port, why: outcome });
    port = outcome === 'denied' && port < unprivilegedFrom ? unprivilegedFrom : port + 1;
  }
  throw new Error(`No free port from ${wanted} upward (${skipped.length} tried, the last ${port - 1}).`);
}

/** For a log line or the UI: "80 was privileged; listening on 1024", "" when the wanted port bound. */
export function describeWalk(wanted: number, walk: PortWalk): string {
  if (walk.skipped.length === 0 || wanted === 0) return '';
  const denied = walk.skipped.filter((s) => s.why === 'denied').length;
  const taken = walk.skipped.length - denied;
  const why = [denied ? `${denied === 1 ? `port ${walk.skipped.find((s) => s.why === 'denied')!.port} is` : `${denied} ports are`} privileged on this OS` : '', taken ? `${taken} port${taken === 1 ? ' was' : 's were'} taken` : '']
    .filter((s) => s)
    .join(' and ');
  return `port ${wanted} walked up to ${walk.port} (${why})`;
}

/** What node:net's and node:http's servers offer for binding (typed here so common/ needs no Node types). */
export interface Bindable {
  listen(port: number, host: string, callback: () => void): unknown;
  once(event: 'error', listener: (error: Error & { code?: string }) => void): unknown;
  removeListener(event: 'error', listener: (error: Error & { code?: string }) => void): unknown;
  address(): unknown;
}

/** Bind `server` on host:port; taken and privileged ports are outcomes, other errors are thrown. */
export function bindOnce(server: Bindable, host: string, port: number): Promise<BindOutcome> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error & { code?: string }) => {
      if (error.code === 'EADDRINUSE') resolve('in-use');
      else if (error.code === 'EACCES') resolve('denied');
      else reject(error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      resolve('bound');
    });
  });
}

/** The port a bound server really holds (the OS's choice when 0 was asked for). */
export function boundPort(server: Bindable): number {
  const address = server.address() as { port?: number } | null;
  return typeof address === 'object' && address && typeof address.port === 'number' ? address.port : 0;
}
