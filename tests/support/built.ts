// Integration tests run the host worker as it ships: the built out/main/host-worker.cjs.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const hostWorkerUrl = new URL('../../out/main/host-worker.cjs', import.meta.url);
export const loadBalancerWorkerUrl = new URL('../../out/main/load-balancer-worker.js', import.meta.url);
export const rendererDir = fileURLToPath(new URL('../../out/renderer/', import.meta.url));

if (!existsSync(hostWorkerUrl)) {
  throw new Error(`${fileURLToPath(hostWorkerUrl)} is missing: run "npm run build" before the integration tests (npm test does).`);
}
