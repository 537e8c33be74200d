// Microsoft's classic clients against Fabric Lab's Service Management API, as users run them: azure-asm-compute
// with azure-common's certificate credentials, plain HTTPS for the calls that library cannot send under
// Node 20 (body-less POSTs), and the classic azure CLI as a child process.
import { execFile } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

export interface ClientCredentials {
  subscriptionId: string;
  certificatePem: string;
  keyPem: string;
  caPem: string;
}

/** The parts of azure-asm-compute the tests call (callback style, promisified below). */
export interface AsmCompute {
  longRunningOperationInitialTimeout: number;
  longRunningOperationRetryTimeout: number;
  hostedServices: Record<string, (...args: unknown[]) => void>;
  deployments: Record<string, (...args: unknown[]) => void>;
  getOperationStatus: (...args: unknown[]) => void;
  withFilter(filter: unknown): AsmCompute;
}

/**
 * A ComputeManagementClient on `baseUri`, authenticated by the management certificate. The CA is handed to
 * the request library through a pipeline filter (the library's own extension point), so nothing global changes.
 */
export function asmComputeClient(creds: ClientCredentials, baseUri: string): AsmCompute {
  const azureCommon = require('azure-common') as { CertificateCloudCredentials: new (c: object) => unknown };
  const compute = require('azure-asm-compute') as { createComputeManagementClient: (c: unknown, baseUri: string, filters?: unknown[]) => AsmCompute };
  const credentials = new azureCommon.CertificateCloudCredentials({ subscriptionId: creds.subscriptionId, cert: creds.certificatePem, key: creds.keyPem });
  const trustCa = (resource: Record<string, unknown>, next: (r: unknown, cb: unknown) => unknown, callback: unknown) => {
    resource.ca = creds.caPem;
    return next(resource, callback);
  };
  const client = compute.createComputeManagementClient(credentials, baseUri).withFilter(trustCa);
  // Long-running operations poll Get Operation Status; the defaults wait 30 s between polls.
  client.longRunningOperationInitialTimeout = 0;
  client.longRunningOperationRetryTimeout = 0;
  return client;
}

/** Call a callback-style client method. */
export function call<T>(target: Record<string, (...args: unknown[]) => void>, method: string, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const fn = target[method];
    if (!fn) throw new Error(`The client has no ${method}`);
    fn.call(target, ...args, (error: unknown, result: T) => (error ? reject(error as Error) : resolve(result)));
  });
}

export interface RestAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A plain HTTPS call to the API with a certificate, a token, or neither. */
export function rest(
  url: string,
  options: { method?: string; body?: string; version?: string | null; cert?: { certificatePem: string; keyPem: string }; token?: string; caPem: string },
): Promise<RestAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/xml' };
    if (options.version !== null) headers['x-ms-version'] = options.version ?? '2017-01-01';
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    const body = options.body ?? '';
    headers['Content-Length'] = String(Buffer.byteLength(body));
    const req = httpsRequest(
      url,
      { method: options.method ?? 'GET', headers, ca: options.caPem, ...(options.cert ? { cert: options.cert.certificatePem, key: options.cert.keyPem } : {}), timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** The <Code> and <Message> of an error answer. */
export function errorOf(body: string): { code: string; message: string } {
  const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  return { code: /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? '', message: decode(/<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? '') };
}

const azureCli = fileURLToPath(new URL('../../node_modules/azure-cli/bin/azure.js', import.meta.url));

/**
 * Run the classic azure CLI with its own config folder, trusting the CA through NODE_EXTRA_CA_CERTS.
 * Asynchronously: the API it calls is served by this same process.
 */
export function runAzureCli(args: string[], env: { configDir: string; caFile: string }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [azureCli, ...args],
      {
        encoding: 'utf8',
        timeout: 120_000,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: env.configDir,
          AZURE_CONFIG_DIR: env.configDir,
          AZURE_NON_INTERACTIVE_MODE: '1',
          NODE_EXTRA_CA_CERTS: env.caFile,
          // Its dependencies' deprecation warnings are not part of what the tests read.
          NODE_NO_WARNINGS: '1',
        },
      },
      (error, stdout, stderr) => resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}
