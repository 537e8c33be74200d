// The Service Management API's credentials, made once per installation and kept in one folder: the CA that
// signs the API's HTTPS certificate (the file users trust), and per subscription a management certificate
// (mutual TLS, as Azure's were: self-signed, matched by thumbprint) and a bearer token. The subscriptions'
// private keys and tokens sit in subscriptions.json, readable by the user only.
// node-forge makes the certificates and the PKCS#12 (3DES, as the classic tools' own PFX reader requires).
import { createHash, generateKeyPairSync, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

export interface ManagementSubscription {
  id: string;
  name: string;
  /** Bearer token of this subscription (Authorization: Bearer ...). */
  token: string;
  /** The management certificate and its key, PEM. */
  certificatePem: string;
  keyPem: string;
  /** SHA-1 of the certificate's DER, upper-case hex, as Azure shows thumbprints. */
  thumbprint: string;
}

export interface ManagementCredentials {
  folder: string;
  caPem: string;
  server: { certificatePem: string; keyPem: string };
  subscriptions: ManagementSubscription[];
}

const subscriptionsFile = 'subscriptions.json';

/** SHA-1 of a DER certificate, upper-case hex. */
export function thumbprintOf(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(pem))).getBytes(), 'binary');
}

function newKeys(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  // Node's native key generation; forge only reads the result (its own is pure JavaScript and slow).
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), keyPem };
}

function newCertificate(
  subject: string,
  publicKey: forge.pki.rsa.PublicKey,
  years: number,
  extensions: object[],
  issuer?: { certificate: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey },
  signingKey?: forge.pki.rsa.PrivateKey,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: the first byte's top bit clear.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + years * 365 * 24 * 3600_000);
  const attrs = [{ name: 'commonName', value: subject }, { name: 'organizationName', value: 'Fabric Lab' }];
  cert.setSubject(attrs);
  cert.setIssuer(issuer ? issuer.certificate.subject.attributes : attrs);
  cert.setExtensions(extensions);
  cert.sign(issuer?.key ?? signingKey!, forge.md.sha256.create());
  return cert;
}

function makeCa(): { certificatePem: string; keyPem: string } {
  const keys = newKeys();
  const cert = newCertificate('Fabric Lab Management CA', keys.publicKey, 10, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ], undefined, keys.privateKey);
  return { certificatePem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/** The API's HTTPS certificate, for 127.0.0.1 and localhost, signed by the CA. */
function makeServerCertificate(ca: { certificatePem: string; keyPem: string }): { certificatePem: string; keyPem: string } {
  const keys = newKeys();
  const issuer = { certificate: forge.pki.certificateFromPem(ca.certificatePem), key: forge.pki.privateKeyFromPem(ca.keyPem) as forge.pki.rsa.PrivateKey };
  const cert = newCertificate('127.0.0.1', keys.publicKey, 2, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
  ], issuer);
  return { certificatePem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/** A new subscription with its self-signed management certificate and a bearer token. */
export function makeSubscription(name: string, id: string = randomUUID()): ManagementSubscription {
  const keys = newKeys();
  const cert = newCertificate(`Fabric Lab management certificate (${name})`, keys.publicKey, 5, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', clientAuth: true },
  ], undefined, keys.privateKey);
  const certificatePem = forge.pki.certificateToPem(cert);
  return { id, name, token: randomBytes(32).toString('base64url'), certificatePem, keyPem: keys.keyPem, thumbprint: thumbprintOf(pemToDer(certificatePem)) };
}

/**
 * The credentials kept in `folder`, made the first time: the CA and the API's certificate, and one subscription
 * named `defaultSubscription` when there is none yet. Later starts read the same files.
 */
export function loadOrCreateCredentials(folder: string, defaultSubscription = 'Fabric Lab'): ManagementCredentials {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const path = (name: string) => join(folder, name);
  const secret = { mode: 0o600 } as const;
  if (!existsSync(path('ca.pem')) || !existsSync(path('ca-key.pem'))) {
    const ca = makeCa();
    writeFileSync(path('ca-key.pem'), ca.keyPem, secret);
    writeFileSync(path('ca.pem'), ca.certificatePem);
    // A new CA makes the old server certificate worthless.
    writeFileSync(path('server-key.pem'), '', secret);
  }
  const ca = { certificatePem: readFileSync(path('ca.pem'), 'utf8'), keyPem: readFileSync(path('ca-key.pem'), 'utf8') };
  let server = existsSync(path('server.pem')) ? { certificatePem: readFileSync(path('server.pem'), 'utf8'), keyPem: readFileSync(path('server-key.pem'), 'utf8') } : undefined;
  if (!server?.keyPem || !server.certificatePem || forge.pki.certificateFromPem(server.certificatePem).validity.notAfter.getTime() < Date.now() + 86_400_000) {
    server = makeServerCertificate(ca);
    writeFileSync(path('server-key.pem'), server.keyPem, secret);
    writeFileSync(path('server.pem'), server.certificatePem);
  }
  let subscriptions: ManagementSubscription[] = [];
  if (existsSync(path(subscriptionsFile))) {
    try {
      subscriptions = readSubscriptions(readFileSync(path(subscriptionsFile), 'utf8'));
    } catch (error) {
      throw new Error(`${path(subscriptionsFile)}: ${(error as Error).message}; remove the file to make new credentials.`);
    }
  }
  if (subscriptions.length === 0) {
    subscriptions = [makeSubscription(defaultSubscription)];
    writeFileSync(path(subscriptionsFile), JSON.stringify(subscriptions, null, 2), secret);
  }
  return { folder, caPem: ca.certificatePem, server, subscriptions };
}

function readSubscriptions(text: string): ManagementSubscription[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error('expected a list of subscriptions');
  return parsed.map((s: Partial<ManagementSubscription>, i) => {
    for (const key of ['id', 'name', 'token', 'certificatePem', 'keyPem'] as const) {
      if (typeof s[key] !== 'string' || s[key] === '') throw new Error(`subscription ${i + 1} has no ${key}`);
    }
    const sub = s as ManagementSubscription;
    return { ...sub, thumbprint: thumbprintOf(pemToDer(sub.certificatePem)) };
  });
}

/**
 * The management certificate as the publish settings carry it: PKCS#12, empty password, 3DES, base64.
 * "Empty" as Windows wrote it for the portal: a zero-length password, not forge's or OpenSSL's "" (which adds a
 * two-byte terminator to the key derivation); the classic CLI's own PFX reader derives keys from zero bytes, and
 * OpenSSL and Windows try both. So the PFX is put together here from forge's parts (RFC 7292).
 */
export function managementCertificatePfx(subscription: ManagementSubscription): string {
  const { asn1, pki } = forge;
  const seq = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
  const set = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, items);
  const oid = (name: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(pki.oids[name]!).getBytes());
  const octets = (bytes: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
  const explicit0 = (value: forge.asn1.Asn1) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [value]);
  const integer = (n: number) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
  const data = (bytes: string) => seq([oid('data'), explicit0(octets(bytes))]);

  const cert = pki.certificateFromPem(subscription.certificatePem);
  const certDer = asn1.toDer(pki.certificateToAsn1(cert)).getBytes();
  const localKeyId = set([seq([oid('localKeyId'), set([octets(forge.md.sha1.create().update(certDer).digest().getBytes())])])]);
  const certBag = seq([oid('certBag'), explicit0(seq([oid('x509Certificate'), explicit0(octets(certDer))])), localKeyId]);
  // A null password is forge's zero-length one.
  const keyInfo = pki.wrapRsaPrivateKey(pki.privateKeyToAsn1(pki.privateKeyFromPem(subscription.keyPem)));
  const shroudedKey = pki.encryptPrivateKeyInfo(keyInfo, null as unknown as string, { algorithm: '3des', count: 2048, saltSize: 8 });
  const keyBag = seq([oid('pkcs8ShroudedKeyBag'), explicit0(shroudedKey), localKeyId]);
  const authSafe = asn1.toDer(seq([data(asn1.toDer(seq([certBag])).getBytes()), data(asn1.toDer(seq([keyBag])).getBytes())])).getBytes();

  const salt = forge.random.getBytesSync(8);
  const iterations = 2048;
  const macKey = forge.pkcs12.generateKey(null as unknown as string, forge.util.createBuffer(salt), 3, iterations, 20);
  const hmac = forge.hmac.create();
  hmac.start('sha1', macKey);
  hmac.update(authSafe);
  const macData = seq([seq([seq([oid('sha1'), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]), octets(hmac.digest().getBytes())]), octets(salt), integer(iterations)]);
  const pfx = seq([integer(3), data(authSafe), macData]);
  return Buffer.from(asn1.toDer(pfx).getBytes(), 'binary').toString('base64');
}

const xmlAttribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A .publishsettings file (SchemaVersion 2.0) for one subscription at `url`. */
export function publishSettings(subscription: ManagementSubscription, url: string): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<PublishData>',
    '  <PublishProfile SchemaVersion="2.0" PublishMethod="AzureServiceManagementAPI">',
    `    <Subscription ServiceManagementUrl="${xmlAttribute(url)}" Id="${xmlAttribute(subscription.id)}" Name="${xmlAttribute(subscription.name)}" ManagementCertificate="${managementCertificatePfx(subscription)}" />`,
    '  </PublishProfile>',
    '</PublishData>',
    '',
  ].join('\r\n');
}

/** A file name from a subscription's name: what the portal's download called it, minus characters no file system takes. */
export function publishSettingsFileName(subscription: ManagementSubscription): string {
  return `${subscription.name.replace(/[\\/:*?"<>|\0]/g, '-').trim() || subscription.id}.publishsettings`;
}

/**
 * Write what tools need into the folder: <name>.publishsettings per subscription and `token` (the first's).
 * Answers each subscription's publish settings as written (a PKCS#12 is salted afresh each time it is made).
 */
export function writeToolFiles(credentials: ManagementCredentials, url: string): { files: string[]; publishSettings: Map<string, string> } {
  const files: string[] = [];
  const texts = new Map<string, string>();
  for (const subscription of credentials.subscriptions) {
    const file = join(credentials.folder, publishSettingsFileName(subscription));
    const text = publishSettings(subscription, url);
    writeFileSync(file, text, { mode: 0o600 });
    files.push(file);
    texts.set(subscription.id, text);
  }
  writeFileSync(join(credentials.folder, 'token'), `${credentials.subscriptions[0]!.token}\n`, { mode: 0o600 });
  files.push(join(credentials.folder, 'token'), join(credentials.folder, 'ca.pem'));
  return { files, publishSettings: texts };
}

/** Constant-time comparison of two strings (tokens). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A PFX's certificate (Add Service Certificate): its DER and thumbprint; throws a sentence for people. */
export function readPfxCertificate(pfx: Buffer, password: string): { der: Buffer; thumbprint: string; subject: string; notAfter: Date } {
  let p12: forge.pkcs12.Pkcs12Pfx | undefined;
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(forge.util.createBuffer(pfx.toString('binary')));
  } catch (error) {
    throw new Error(`The data is not a PKCS#12 (PFX) file: ${(error as Error).message}`);
  }
  // An empty password was written two ways: with the two-byte terminator (OpenSSL, forge) or as zero bytes (Windows).
  for (const attempt of password === '' ? ['', null] : [password]) {
    try {
      p12 = forge.pkcs12.pkcs12FromAsn1(asn1, true, attempt as string);
      break;
    } catch (error) {
      const message = (error as Error).message;
      if (!/mac|password|decrypt|invalid/i.test(message)) throw new Error(`The data is not a PKCS#12 (PFX) file: ${message}`);
    }
  }
  if (!p12) throw new Error('The password does not open the PFX (its MAC or its encryption does not match).');
  const bags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
  const cert = bags.find((b) => b.cert)?.cert;
  if (!cert) throw new Error('The PFX holds no certificate.');
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  const cn = cert.subject.getField('CN') as { value?: string } | null;
  return { der, thumbprint: thumbprintOf(der), subject: `CN=${cn?.value ?? ''}`, notAfter: cert.validity.notAfter };
}

/** A PFX of a new self-signed certificate (for tests and users who want a service certificate to try). */
export function makeServiceCertificatePfx(commonName: string, password: string): { pfx: Buffer; thumbprint: string } {
  const keys = newKeys();
  const cert = newCertificate(commonName, keys.publicKey, 1, [{ name: 'basicConstraints', cA: false }], undefined, keys.privateKey);
  const p12 = forge.pkcs12.toPkcs12Asn1(keys.privateKey, [cert], password, { algorithm: '3des' });
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { pfx: Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary'), thumbprint: thumbprintOf(der) };
}
