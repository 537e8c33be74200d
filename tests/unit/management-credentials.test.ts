// The Service Management API's credentials: made once per folder and read back the same, publish settings
// in the portal's shape whose PKCS#12 opens with an empty password (zero-length, as the classic tools derive
// it), and a credentials file that is refused with its path when it is damaged.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  loadOrCreateCredentials,
  makeServiceCertificatePfx,
  managementCertificatePfx,
  publishSettings,
  readPfxCertificate,
  writeToolFiles,
} from '../../src-main/management/management-credentials';
import { defaultManagementFolder } from '../../src-main/management/management-face';

const folders: string[] = [];
const newFolder = () => {
  const folder = mkdtempSync(join(tmpdir(), 'fabric-lab-credentials-'));
  folders.push(folder);
  return folder;
};
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('management credentials', () => {
  it('are made once per folder and read back unchanged; the server certificate is signed by the CA for 127.0.0.1', () => {
    const folder = newFolder();
    const first = loadOrCreateCredentials(folder);
    const again = loadOrCreateCredentials(folder);
    expect(again.caPem).toBe(first.caPem);
    expect(again.subscriptions).toEqual(first.subscriptions);
    expect(first.subscriptions).toHaveLength(1);
    expect(first.subscriptions[0]!.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    const ca = new X509Certificate(first.caPem);
    const server = new X509Certificate(first.server.certificatePem);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(ca.ca).toBe(true);
    // The private parts are the user's alone.
    expect(statSync(join(folder, 'ca-key.pem')).mode & 0o077).toBe(0);
    expect(statSync(join(folder, 'subscriptions.json')).mode & 0o077).toBe(0);
  });

  it('writes publish settings in the portal\'s shape (SchemaVersion 2.0) with the certificate whose key matches', () => {
    const folder = newFolder();
    const credentials = loadOrCreateCredentials(folder, 'My <Lab> & co');
    const { files } = writeToolFiles(credentials, 'https://127.0.0.1:4443');
    const sub = credentials.subscriptions[0]!;
    const text = readFileSync(files[0]!, 'utf8');
    expect(files[0]).toMatch(/My -Lab- & co\.publishsettings$/);
    expect(text).toMatch(/<PublishProfile SchemaVersion="2\.0" PublishMethod="AzureServiceManagementAPI">/);
    expect(text).toContain(`ServiceManagementUrl="https://127.0.0.1:4443" Id="${sub.id}" Name="My &lt;Lab&gt; &amp; co"`);
    expect(readFileSync(join(folder, 'token'), 'utf8').trim()).toBe(sub.token);
    const pfx = Buffer.from(/ManagementCertificate="([^"]+)"/.exec(text)![1]!, 'base64');
    // Read back with forge and an empty password: the same certificate.
    expect(readPfxCertificate(pfx, '').thumbprint).toBe(sub.thumbprint);
  });

  it.skipIf(!hasOpenssl)('makes a PKCS#12 that OpenSSL opens with an empty password, its key encrypted with 3DES', () => {
    const folder = newFolder();
    const sub = loadOrCreateCredentials(folder).subscriptions[0]!;
    const file = join(folder, 'sub.pfx');
    writeFileSync(file, Buffer.from(managementCertificatePfx(sub), 'base64'));
    const info = execFileSync('openssl', ['pkcs12', '-in', file, '-passin', 'pass:', '-info', '-nodes'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(info).toContain('-----BEGIN CERTIFICATE-----');
    expect(info).toContain('-----BEGIN PRIVATE KEY-----');
    // OpenSSL prints the algorithms on stderr.
    const details = spawnSync('openssl', ['pkcs12', '-in', file, '-passin', 'pass:', '-info', '-noout'], { encoding: 'utf8' });
    expect(details.status).toBe(0);
    expect(details.stderr).toMatch(/Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC/);
    expect(details.stderr).toMatch(/MAC: sha1/);
  });

  it('reads a service certificate PFX with its password and refuses a wrong password or data that is no PFX', () => {
    const { pfx, thumbprint } = makeServiceCertificatePfx('svc.example', 'p@ss');
    expect(readPfxCertificate(pfx, 'p@ss')).toMatchObject({ thumbprint, subject: 'CN=svc.example' });
    expect(() => readPfxCertificate(pfx, 'wrong')).toThrow(/password/);
    expect(() => readPfxCertificate(Buffer.from('not a pfx'), '')).toThrow(/not a PKCS#12/);
  });

  it('refuses a damaged credentials file, naming it, rather than making new credentials over it', () => {
    const folder = newFolder();
    writeFileSync(join(folder, 'subscriptions.json'), '[{"id": "x"}]');
    expect(() => loadOrCreateCredentials(folder)).toThrow(/subscriptions\.json: subscription 1 has no name; remove the file/);
    writeFileSync(join(folder, 'subscriptions.json'), '{oops');
    expect(() => loadOrCreateCredentials(folder)).toThrow(/subscriptions\.json/);
  });

  it('keeps them in the user data folder by default', () => {
    expect(defaultManagementFolder({ XDG_CONFIG_HOME: '/x/config' }, 'linux')).toBe('/x/config/fabric-lab/management');
    expect(defaultManagementFolder({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toMatch(/Fabric Lab.management$/);
  });

  it('publish settings name the URL they were made for', () => {
    const sub = loadOrCreateCredentials(newFolder()).subscriptions[0]!;
    expect(publishSettings(sub, 'https://127.0.0.1:1')).toContain('ServiceManagementUrl="https://127.0.0.1:1"');
  });
});
