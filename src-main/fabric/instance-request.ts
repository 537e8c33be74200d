// sendInstanceRequest: a real HTTP request from the main thread to one instance's own endpoint listener
// (the address its host worker bound, as InstanceView.endpoints shows it), not through a load balancer.
// Answers the status, headers, the first 64 KiB of the body and the real time it took.
import { request as httpRequest } from 'node:http';
import type { InstanceRequest, InstanceResponse, InstanceView } from '../common/fabric-api';
import { FabricErrors, type FabricError } from '../common/fabric-errors';

export const maxResponseBody = 64 * 1024;
/** Real milliseconds to wait for an answer: a hung guest accepts the connection and never answers. */
export const instanceRequestTimeoutMs = 10_000;

/** The endpoint a request goes to, or a FabricError saying why it cannot. */
export function requestTarget(instance: InstanceView | undefined, request: InstanceRequest): { url: string; host: string; port: number; path: string } {
  if (!instance) throw FabricErrors.instanceNotFound(request.instanceId);
  const path = request.path ?? '/';
  if (!path.startsWith('/') || /[\s#]/.test(path) || path.length > 2_048) {
    throw FabricErrors.notAnInstancePath(path);
  }
  const names = instance.endpoints.map((e) => `${e.name} (${e.protocol})`).join(', ') || 'none';
  const endpoint = request.endpointName === undefined ? instance.endpoints.find((e) => e.protocol === 'http') : instance.endpoints.find((e) => e.name === request.endpointName);
  if (!endpoint) {
    throw request.endpointName === undefined
      ? FabricErrors.noHttpEndpoint(instance.name, names)
      : FabricErrors.endpointNotFound(instance.name, request.endpointName, names);
  }
  if (endpoint.protocol !== 'http') {
    throw FabricErrors.endpointNotHttp(instance.name, endpoint.name, endpoint.protocol);
  }
  if (!endpoint.address) {
    throw FabricErrors.instanceNotListening(instance.name, instance.status, endpoint.name);
  }
  const [host, port] = endpoint.address.split(':') as [string, string];
  return { url: `http://${endpoint.address}${path}`, host, port: Number(port), path };
}

export function sendInstanceRequest(instance: InstanceView | undefined, request: InstanceRequest): Promise<InstanceResponse> {
  const target = requestTarget(instance, request);
  const started = performance.now();
  return new Promise<InstanceResponse>((resolve, reject) => {
    const req = httpRequest({ host: target.host, port: target.port, path: target.path, method: request.method ?? 'GET', headers: { 'user-agent': 'FabricLab/1.0' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const done = () =>
        resolve({
          url: target.url,
          status: res.statusCode ?? 0,
          headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')])),
          body: Buffer.concat(chunks).toString('utf8'),
          bodyTruncated: truncated,
          timeTakenMs: Math.round(performance.now() - started),
        });
      res.on('data', (chunk: Buffer) => {
        if (truncated) return;
        const room = maxResponseBody - size;
        chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
        size += Math.min(chunk.length, room);
        if (chunk.length > room) {
          truncated = true;
          done();
          res.destroy(); // the rest is not wanted
        }
      });
      res.on('end', done);
      res.on('error', (error) => reject(networkError(target.url, error)));
    });
    req.setTimeout(instanceRequestTimeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (error) => reject(networkError(target.url, error)));
    req.end();
  });
}

function networkError(url: string, error: NodeJS.ErrnoException): FabricError {
  if (error.code === 'ECONNREFUSED') return FabricErrors.connectionRefused(url);
  if (error.code === 'ETIMEDOUT') return FabricErrors.instanceDidNotAnswer(url, instanceRequestTimeoutMs / 1000);
  return FabricErrors.instanceRequestFailed(url, error.message);
}
