// The certificate an https endpoint presents. A package names its certificates only by thumbprint (the .cscfg);
// the real ones live in Azure's certificate store, which Fabric Lab does not have. So each thumbprint gets a
// self-signed stand-in, made once with the openssl command line and kept in the OS temp folder (not in the
// session, so an exported session carries no private key); clients must accept it as untrusted.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsCredentials {
  key: string;
  cert: string;
}

const made = new Map<string, Promise<TlsCredentials>>();

/** The stand-in for certificate `name` with `thumbprint` (cached per thumbprint, in this thread and on disk). */
export function standInCertificate(name: string, thumbprint: string): Promise<TlsCredentials> {
  const id = /^[0-9A-Fa-f]{1,64}$/.test(thumbprint) ? thumbprint.toUpperCase() : 'NOTHUMBPRINT';
  let pending = made.get(id);
  if (!pending) {
    pending = load(id, name).catch((error: unknown) => {
      made.delete(id);
      throw error;
    });
    made.set(id, pending);
  }
  return pending;
}

/** The key and the certificate from one PEM file that holds both. */
function split(pem: string): TlsCredentials | null {
  const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/.exec(pem)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  return key && cert ? { key: `${key}\n`, cert: `${cert}\n` } : null;
}

async function load(id: string, name: string): Promise<TlsCredentials> {
  const dir = join(tmpdir(), 'fabric-lab-certificates');
  // Key and certificate in one file, renamed into place at once: two host workers (or two fabrics) making the same
  // stand-in at the same moment each leave a matching pair, never one's key with the other's certificate.
  const file = join(dir, `${id}.pem`);
  const existing = split(await readFile(file, 'utf8').catch(() => ''));
  if (existing) return existing;
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${id}.${process.pid}.${Math.random().toString(36).slice(2)}`);
  // X.509 caps each name at 64 characters: the certificate's name, who made it, and the thumbprint it stands in for.
  const subject = `/CN=${name.replace(/[^\w.-]/g, '_').slice(0, 64)}/O=Fabric Lab stand-in certificate/OU=${id.slice(0, 64)}`;
  try {
    await new Promise<void>((resolve, reject) => {
      const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256', '-days', '365', '-subj', subject, '-keyout', `${tmp}.key`, '-out', `${tmp}.crt`];
      execFile('openssl', args, { timeout: 30_000 }, (error, _out, stderr) => {
        if (!error) return resolve();
        const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the openssl command is not installed' : (stderr.trim().split('\n').at(-1) ?? error.message);
        reject(new Error(`could not make a stand-in certificate for "${name}" with openssl: ${why}`));
      });
    });
    const pem = `${await readFile(`${tmp}.key`, 'utf8')}${await readFile(`${tmp}.crt`, 'utf8')}`;
    const made = split(pem);
    if (!made) throw new Error(`openssl made no key and certificate for "${name}"`);
    await writeFile(`${tmp}.pem`, pem, { mode: 0o600 });
    await rename(`${tmp}.pem`, file);
    return made;
  } finally {
    for (const ext of ['key', 'crt', 'pem']) await rm(`${tmp}.${ext}`, { force: true });
  }
}
