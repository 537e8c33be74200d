// The certificate an https endpoint presents. A package names its certificates only by thumbprint (the .cscfg);
// the real ones live in Azure's certificate store, which Fabric Lab does not have. So each thumbprint gets a
// self-signed stand-in, made once with the openssl command line and kept in the OS temp folder (not in the
// session, so an exported session carries no private key); clients must accept it as untrusted.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
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

async function load(id: string, name: string): Promise<TlsCredentials> {
  const dir = join(tmpdir(), 'fabric-lab-certificates');
  const keyFile = join(dir, `${id}.key`);
  const certFile = join(dir, `${id}.crt`);
  const existing = await Promise.all([readFile(keyFile, 'utf8'), readFile(certFile, 'utf8')]).catch(() => null);
  if (existing) return { key: existing[0], cert: existing[1] };
  await mkdir(dir, { recursive: true });
  // Written beside, then renamed: another host worker making the same one at once cannot leave half a file.
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
    await rename(`${tmp}.key`, keyFile);
    await rename(`${tmp}.crt`, certFile);
  } finally {
    await rm(`${tmp}.key`, { force: true });
    await rm(`${tmp}.crt`, { force: true });
  }
  return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8') };
}
