// A Service Management API client for fabric-lab's own verbs: it reads a .publishsettings file as the classic
// tools did (the subscription, the URL and the PKCS#12 management certificate), calls the API over mutual TLS,
// and follows long-running operations through Get Operation Status. It works against any Fabric Lab (or any
// endpoint that speaks the API) the user can reach.
import { request as httpsRequest } from 'node:https';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import forge from 'node-forge';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface PublishedSubscription {
  id: string;
  name: string;
  url: string;
  certificatePem: string;
  keyPem: string;
}

/** Read a .publishsettings (SchemaVersion 2.0, or 1.0 with the certificate and URL on the profile). */
export async function readPublishSettings(path: string, subscription?: string): Promise<PublishedSubscription> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`Could not read the publish settings ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (/<!DOCTYPE/i.test(text)) throw new Error(`${path}: a DOCTYPE is not allowed in publish settings.`);
  const verdict = XMLValidator.validate(text);
  if (verdict !== true) throw new Error(`${path}:${verdict.err.line}:${verdict.err.col}: ${verdict.err.msg}`);
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', processEntities: true, htmlEntities: false, isArray: (name) => name === 'Subscription' }).parse(text) as {
    PublishData?: { PublishProfile?: { ManagementCertificate?: string; Url?: string; Subscription?: { Id?: string; Name?: string; ServiceManagementUrl?: string; ManagementCertificate?: string }[] } };
  };
  const profile = parsed.PublishData?.PublishProfile;
  const subs = profile?.Subscription ?? [];
  if (!profile || subs.length === 0) throw new Error(`${path} is not a publish settings file: it has no PublishData/PublishProfile/Subscription.`);
  const chosen = subscription ? subs.find((s) => s.Id === subscription || s.Name === subscription) : subs[0];
  if (!chosen) throw new Error(`${path} has no subscription "${subscription}"; it has ${subs.map((s) => `${s.Name} (${s.Id})`).join(', ')}.`);
  const pfx = chosen.ManagementCertificate ?? profile.ManagementCertificate;
  const url = chosen.ServiceManagementUrl ?? profile.Url;
  if (!chosen.Id || !pfx || !url) throw new Error(`${path}: the subscription needs an Id, a ManagementCertificate and a ServiceManagementUrl.`);
  return { id: chosen.Id, name: chosen.Name ?? chosen.Id, url: url.replace(/\/+$/, ''), ...pemFromPfx(Buffer.from(pfx, 'base64'), path) };
}

/** The certificate and key of a PKCS#12 with an empty password, in either of the two ways it was written. */
function pemFromPfx(pfx: Buffer, path: string): { certificatePem: string; keyPem: string } {
  const asn1 = forge.asn1.fromDer(forge.util.createBuffer(pfx.toString('binary')));
  for (const password of ['', null]) {
    try {
      const p12 = forge.pkcs12.pkcs12FromAsn1(asn1, true, password as string);
      const cert = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!]?.[0]?.cert;
      const shrouded = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!]?.[0]?.key;
      const plain = p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!]?.[0]?.key;
      const key = shrouded ?? plain;
      if (cert && key) return { certificatePem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(key) };
    } catch {
      // the other convention, then the error below
    }
  }
  throw new Error(`${path}: the management certificate could not be read (a PKCS#12 with an empty password and a key was expected).`);
}

export class ManagementApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string,
  ) {
    super(message);
    this.name = 'ManagementApiError';
  }
}

export interface ApiAnswer {
  status: number;
  requestId: string;
  body: Record<string, unknown>;
}

const parser = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false, processEntities: true, htmlEntities: false });

export class ManagementClient {
  constructor(
    readonly subscription: PublishedSubscription,
    /** CA certificates to trust besides the system's (Fabric Lab's ca.pem). */
    private readonly ca?: string,
    private readonly version = '2017-01-01',
  ) {}

  /** One call; an error answer becomes a ManagementApiError with Azure's code and message. */
  async call(method: string, path: string, body?: string): Promise<ApiAnswer> {
    const raw = await this.send(method, path, body);
    const text = raw.body.toString('utf8');
    const parsed = text.trim() ? (parser.parse(text) as Record<string, unknown>) : {};
    if (raw.status >= 400) {
      const error = (parsed.Error ?? {}) as { Code?: string; Message?: string };
      throw new ManagementApiError(raw.status, error.Code ?? String(raw.status), error.Message ?? text.slice(0, 300), raw.requestId);
    }
    return { status: raw.status, requestId: raw.requestId, body: parsed };
  }

  /** Wait until the operation `requestId` ends; a failed one is thrown with its code and message. */
  async waitForOperation(requestId: string, options: { intervalMs?: number; timeoutMs?: number; onPoll?: (status: string) => void } = {}): Promise<void> {
    const end = Date.now() + (options.timeoutMs ?? 30 * 60_000);
    for (;;) {
      const { body } = await this.call('GET', `/operations/${encodeURIComponent(requestId)}`);
      const op = (body.Operation ?? {}) as { Status?: string; Error?: { Code?: string; Message?: string } };
      options.onPoll?.(op.Status ?? '');
      if (op.Status === 'Succeeded') return;
      if (op.Status === 'Failed') throw new ManagementApiError(0, op.Error?.Code ?? 'Failed', op.Error?.Message ?? 'The operation failed.', requestId);
      if (Date.now() > end) throw new Error(`Operation ${requestId} is still ${op.Status ?? 'unknown'} after ${Math.round((options.timeoutMs ?? 0) / 1000)} s.`);
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
    }
  }

  /** GET a file the API streams (a session export) into `target`. */
  async download(path: string, target: string): Promise<void> {
    const res = await this.open('GET', path);
    if ((res.statusCode ?? 0) >= 400) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      throw new ManagementApiError(res.statusCode ?? 0, /<Code>([^<]*)/.exec(text)?.[1] ?? '', /<Message>([^<]*)/.exec(text)?.[1] ?? text, String(res.headers['x-ms-request-id'] ?? ''));
    }
    await pipeline(res, createWriteStream(target, { flags: 'wx' }));
  }

  private async send(method: string, path: string, body?: string): Promise<{ status: number; requestId: string; body: Buffer }> {
    const res = await this.open(method, path, body);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return { status: res.statusCode ?? 0, requestId: String(res.headers['x-ms-request-id'] ?? ''), body: Buffer.concat(chunks) };
  }

  private open(method: string, path: string, body?: string): Promise<import('node:http').IncomingMessage> {
    const url = `${this.subscription.url}/${encodeURIComponent(this.subscription.id)}${path}`;
    return new Promise((resolve, reject) => {
      const payload = body ?? '';
      const req = httpsRequest(
        url,
        {
          method,
          cert: this.subscription.certificatePem,
          key: this.subscription.keyPem,
          ...(this.ca ? { ca: this.ca } : {}),
          headers: { 'x-ms-version': this.version, 'Content-Type': 'application/xml', 'Content-Length': String(Buffer.byteLength(payload)) },
          timeout: 10 * 60_000,
        },
        resolve,
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
      req.on('error', (error) => reject(new Error(`Could not reach the Service Management API at ${this.subscription.url}: ${error.message}`)));
      req.end(payload);
    });
  }
}

/** A list that XMLParser may have read as one object. */
export function listOf<T>(value: unknown): T[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]) as T[];
}
