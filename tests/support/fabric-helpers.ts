// Helpers for integration tests that drive a real fabric: wait for a condition, and keep every status
// change each instance went through (from the ordered records, which are never coalesced).
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { expect } from 'vitest';
import { FabricError, type FabricApi, type FabricEvent, type InstanceView, type StatusChangeRecord } from '../../src-main/common/fabric-api';
import type { InstanceStatus } from '../../src-main/common/instance-status';

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false | null>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export class StatusHistory {
  readonly changes: StatusChangeRecord[] = [];

  constructor(api: FabricApi) {
    api.onEvents((batch) => {
      for (const record of batch.records) if (record.kind === 'instance-status') this.changes.push(record);
    });
  }

  /** The statuses an instance went through, starting with the one it had first. */
  of(instanceId: string): InstanceStatus[] {
    const mine = this.changes.filter((c) => c.instanceId === instanceId);
    return mine.length === 0 ? [] : [mine[0]!.from, ...mine.map((c) => c.to)];
  }

  /** Wait until the records show the instance entering `status` at or after `since` (batches arrive a little after the fact). */
  reach(instanceId: string, status: InstanceStatus, since = 0): Promise<StatusChangeRecord> {
    return waitFor(`${instanceId} ${status} in the records`, async () => this.firstInto(instanceId, status, since));
  }

  /** The first change of an instance into `status` at or after `since` (emulated ms). */
  firstInto(instanceId: string, status: InstanceStatus, since = 0): StatusChangeRecord | undefined {
    return this.changes.find((c) => c.instanceId === instanceId && c.to === status && c.at >= since);
  }
}

export async function instance(api: FabricApi, instanceId: string): Promise<InstanceView | undefined> {
  return (await api.getSnapshot()).instances.find((i) => i.id === instanceId);
}

/** Deploy the built-in sample and wait until both its instances are ReadyRole. */
export async function deployReady(api: FabricApi, slot: 'production' | 'staging' = 'production'): Promise<InstanceView[]> {
  const { deploymentId } = await api.deploy({ sample: 'hello-worker', slot });
  return waitFor(`${deploymentId} ReadyRole`, async () => {
    const mine = (await api.getSnapshot()).instances.filter((i) => i.deploymentId === deploymentId);
    return mine.length === 2 && mine.every((i) => i.status === 'ReadyRole') && mine;
  });
}

/** The FabricError a request was refused with; fails the test when the request went through. */
export async function refusal(request: Promise<unknown>): Promise<FabricError> {
  const error = await request.then(
    () => new Error('expected the request to be refused'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FabricError);
  return error as FabricError;
}

/** One GET on a fresh connection (no keep-alive, so the load balancer picks an instance each time): the body. */
export function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** One GET over TLS that accepts any certificate (the stand-ins are self-signed): the status, body and the certificate's subject. */
export function getOverTls(host: string, port: number): Promise<{ status: number; body: string; subject: { CN: string; O: string; OU: string } }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host, port, path: '/', rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      const { subject } = (res.socket as TLSSocket).getPeerCertificate();
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, subject: { CN: String(subject.CN), O: String(subject.O), OU: String(subject.OU) } }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A guest heartbeat an event carries: a `guest-heartbeat` event, or an instance's whole view (sent when more changed). */
export function guestHeartbeatOf(event: FabricEvent): { instanceId: string; count: number; at: number } | null {
  if (event.type === 'guest-heartbeat') return { instanceId: event.instanceId, count: event.guestHeartbeats, at: event.lastGuestHeartbeat };
  if (event.type === 'instance' && event.instance.lastGuestHeartbeat !== null) return { instanceId: event.instance.id, count: event.instance.guestHeartbeats, at: event.instance.lastGuestHeartbeat };
  return null;
}
