// The stand-in certificate of an https endpoint: made with openssl once per thumbprint, its key matching its
// certificate, naming the certificate and the thumbprint it stands in for. Needs the openssl command (skips without).
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standInCertificate } from '../../src-main/host/stand-in-certificate';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasOpenssl)('stand-in certificates (needs the openssl command)', () => {
  const before = process.env.TMPDIR;
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fabric-lab-certs-'));
    process.env.TMPDIR = dir;
  });
  afterAll(() => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes a key that matches its certificate, names what it stands in for, and keeps one file per thumbprint', async () => {
    const thumbprint = 'ABCDEF0123456789ABCDEF0123456789ABCDEF01';
    const [a, b] = await Promise.all([standInCertificate('SSL', thumbprint), standInCertificate('SSL', thumbprint.toLowerCase())]);
    expect(b).toEqual(a);
    const cert = new X509Certificate(a.cert);
    expect(cert.checkPrivateKey(createPrivateKey(a.key))).toBe(true);
    expect(cert.subject).toContain('CN=SSL');
    expect(cert.subject).toContain(`OU=${thumbprint}`);
    expect(readdirSync(join(dir, 'fabric-lab-certificates'))).toEqual([`${thumbprint}.pem`]);
  });

  it('copes with names and thumbprints that are not what a package should hold', async () => {
    const odd = await standInCertificate('My cert; rm -rf / '.repeat(10), 'not hex');
    const cert = new X509Certificate(odd.cert);
    expect(cert.subject).toContain('OU=NOTHUMBPRINT');
    expect(cert.checkPrivateKey(createPrivateKey(odd.key))).toBe(true);
  });
});
