// Create Deployment's PackageUrl. Azure read it from blob storage; Fabric Lab reads a file: URL (a .cspkg, or a
// csx folder read where it is) or fetches http(s) from this machine only, within the upload limit and a time
// limit, so a URL can neither reach out of the machine nor hang or flood the fabric.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uploadLimits } from '../fabric/package-store';
import { readPackageFile, type PackageSource } from '../fabric/service-management';
import { FabricError, FabricErrors } from '../common/fabric-errors';

const fetchTimeoutMs = 30_000;

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export async function fetchPackage(packageUrl: string): Promise<PackageSource> {
  let url: URL;
  try {
    url = new URL(packageUrl);
  } catch {
    throw FabricErrors.packageUrlRefused(`The PackageUrl "${packageUrl}" is not a URL.`);
  }
  if (url.protocol === 'file:') {
    let path: string;
    try {
      path = fileURLToPath(url);
    } catch (error) {
      throw FabricErrors.packageUrlRefused(`The PackageUrl ${packageUrl} is not a local file URL: ${(error as Error).message}.`);
    }
    const info = await stat(path).catch(() => undefined);
    if (!info) throw FabricErrors.packageUrlRefused(`The package at ${packageUrl} does not exist.`);
    if (info.isDirectory()) return { kind: 'folder', path };
    return { kind: 'file', fileName: basename(path), data: await readPackageFile(path) };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw FabricErrors.packageUrlRefused(`The PackageUrl must be http(s) on this machine or a file: URL, not ${url.protocol}.`);
  }
  if (!isLoopback(url.hostname)) {
    throw FabricErrors.packageUrlRefused(`Fabric Lab fetches packages only from this machine (127.0.0.1, localhost, ::1); ${url.hostname} is not one of them.`);
  }
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(fetchTimeoutMs), redirect: 'error' });
  } catch (error) {
    throw FabricErrors.packageUrlRefused(`The package at ${packageUrl} could not be fetched: ${(error as Error).message}.`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw FabricErrors.packageUrlRefused(`The package at ${packageUrl} could not be fetched: the server answered ${response.status} ${response.statusText}.`);
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > uploadLimits.bytes) {
    await response.body?.cancel();
    throw FabricErrors.packageUrlRefused(`The package at ${packageUrl} is larger than ${uploadLimits.bytes / 1024 / 1024} MiB.`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of response.body ?? []) {
      total += (chunk as Uint8Array).length;
      if (total > uploadLimits.bytes) throw FabricErrors.packageUrlRefused(`The package at ${packageUrl} is larger than ${uploadLimits.bytes / 1024 / 1024} MiB.`);
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
  } catch (error) {
    if (error instanceof FabricError) throw error;
    throw FabricErrors.packageUrlRefused(`The package at ${packageUrl} could not be read: ${(error as Error).message}.`);
  }
  const name = basename(decodeURIComponent(url.pathname));
  return { kind: 'file', fileName: /\.(cspkg|csdef)$/i.test(name) ? name : 'package.cspkg', data: Buffer.concat(chunks) };
}
