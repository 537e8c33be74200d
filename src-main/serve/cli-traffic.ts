// `fabric-lab traffic <url>`: a bounded traffic run against a VIP (or any loopback URL), with a progress line
// a second and the report at the end: sent = served + refused + failed. The same generator as the app's
// traffic panel (fabric/load-balancer/traffic-generator.ts). Ctrl+C cancels the run and still reports.
import { InvalidArgumentError, type Command } from 'commander';
import { trafficBounds, type TrafficRunView } from '../common/fabric-api';
import { TrafficRun } from '../fabric/load-balancer/traffic-generator';
import type { CliIo } from './cli-io';
import { number } from './cli-run';

export interface TrafficOptions {
  rate: number;
  concurrency: number;
  duration: number;
  keepAlive?: boolean;
  json?: boolean;
}

/** Only loopback: every VIP Fabric Lab makes is there, and a load generator has no business elsewhere. */
export function loopbackUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`"${text}" is not a URL; give one like http://127.100.0.1:80/.`);
  }
  if (url.protocol !== 'http:') throw new InvalidArgumentError(`only http:// URLs can be sent traffic, got ${url.protocol}//.`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!(host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host))) {
    throw new InvalidArgumentError(`${url.hostname} is not a loopback address; Fabric Lab sends traffic only to 127.x addresses and localhost.`);
  }
  return url;
}

export function addTrafficCommand(program: Command, io: CliIo, setStatus: (code: number) => void): void {
  program
    .command('traffic')
    .description('send a bounded run of HTTP requests to a VIP and report what was served, refused and failed')
    .argument('<url>', "a VIP endpoint's URL, as the app, `fabric-lab run` or DeploymentView shows it (loopback only)", loopbackUrl)
    .option('--rate <n>', `requests started per second (1 to ${trafficBounds.rate})`, number('--rate', 1, trafficBounds.rate, true), 50)
    .option('--concurrency <n>', `requests in flight at most (1 to ${trafficBounds.concurrency})`, number('--concurrency', 1, trafficBounds.concurrency, true), 4)
    .option('--duration <seconds>', `real seconds to run (1 to ${trafficBounds.durationSeconds})`, number('--duration', 1, trafficBounds.durationSeconds), 10)
    .option('--keep-alive', 'reuse connections (they stay with their instance: only new connections follow rotation)')
    .option('--json', 'print one JSON object per line')
    .addHelpText('after', '\nExit status: 0 every request was served, 1 some were refused or failed, 2 the command line is wrong.')
    .action(async (url: URL, options: TrafficOptions) => {
      setStatus(await trafficCommand(url, options, io));
    });
}

export function trafficCommand(url: URL, options: TrafficOptions, io: CliIo): Promise<number> {
  return new Promise((resolve) => {
    let ticker: ReturnType<typeof setInterval> | null = null;
    const cancel = () => run.cancel();
    const run = new TrafficRun('cli', { url: url.href, rate: options.rate, concurrency: options.concurrency, durationMs: options.duration * 1000, keepAlive: options.keepAlive ?? false }, { deploymentId: '', endpointName: '' }, (view) => {
      if (ticker) clearInterval(ticker);
      process.off('SIGINT', cancel);
      process.off('SIGTERM', cancel);
      if (options.json) io.out(JSON.stringify({ event: 'done', ...view }));
      else for (const line of reportLines(view)) io.out(line);
      resolve(view.sent > 0 && view.served === view.sent ? 0 : 1);
    });
    process.once('SIGINT', cancel);
    process.once('SIGTERM', cancel);
    if (!options.json) io.out(`Sending ${options.rate}/s, at most ${options.concurrency} in flight, for ${options.duration} s to ${url.href}${options.keepAlive ? ' (keep-alive)' : ''}.`);
    run.start();
    ticker = setInterval(() => {
      const v = run.snapshot();
      if (options.json) io.out(JSON.stringify({ event: 'progress', progress: v.progress, sent: v.sent, served: v.served, refused: v.refused, failed: v.failed, inFlight: v.inFlight, heldBack: v.heldBack }));
      else io.out(`${Math.round(v.progress * 100)}%: sent ${v.sent}, served ${v.served}, refused ${v.refused}, failed ${v.failed}, in flight ${v.inFlight}`);
    }, 1_000);
  });
}

export function reportLines(v: TrafficRunView): string[] {
  const statuses = Object.entries(v.statuses).map(([code, n]) => `${code} x${n}`).join(', ') || 'none';
  return [
    `${v.status}: sent ${v.sent} = served ${v.served} + refused ${v.refused} + failed ${v.failed}.`,
    `Statuses: ${statuses}. Latency p50 ${v.latencyP50Ms ?? '-'} ms, p99 ${v.latencyP99Ms ?? '-'} ms.`,
    ...v.bounds.map((b) => `Bound: ${b}.`),
  ];
}
