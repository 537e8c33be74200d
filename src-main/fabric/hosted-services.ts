// RDFE's hosted services: the named containers (cloud services) a subscription creates before it deploys, and
// the certificates each holds for its deployments. Names are global, as DNS names under cloudapp.net were:
// one subscription's name is taken for all; everything else is seen only by the subscription that owns it.
import { FabricErrors } from '../common/fabric-errors';

export interface ServiceCertificate {
  /** SHA-1 of the certificate's DER, upper-case hex. */
  thumbprint: string;
  thumbprintAlgorithm: 'sha1';
  /** The certificate's DER, base64 (the private key is not kept: nothing here uses it). */
  data: string;
  subject: string;
}

export interface HostedService {
  name: string;
  subscriptionId: string;
  label: string;
  description: string;
  location: string;
  /** Emulated times. */
  created: number;
  modified: number;
  extendedProperties: Record<string, string>;
  certificates: Map<string, ServiceCertificate>;
}

/** Azure's rule for a cloud service name: a DNS label. */
const serviceNamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export class HostedServices {
  private readonly services = new Map<string, HostedService>();

  constructor(private readonly now: () => number) {}

  /** Why a name cannot be used (the error Create Hosted Service would answer), or null when it is free. */
  unavailable(name: string): ReturnType<typeof FabricErrors.hostedServiceNameTaken> | null {
    if (!serviceNamePattern.test(name)) return FabricErrors.hostedServiceNameInvalid(name);
    if (this.services.has(name.toLowerCase())) return FabricErrors.hostedServiceNameTaken(name);
    return null;
  }

  create(subscriptionId: string, fields: { name: string; label: string; description?: string; location: string; extendedProperties?: Record<string, string> }): HostedService {
    const refusal = this.unavailable(fields.name);
    if (refusal) throw refusal;
    const at = this.now();
    const service: HostedService = {
      name: fields.name,
      subscriptionId,
      label: fields.label,
      description: fields.description ?? '',
      location: fields.location,
      created: at,
      modified: at,
      extendedProperties: { ...fields.extendedProperties },
      certificates: new Map(),
    };
    this.services.set(fields.name.toLowerCase(), service);
    return service;
  }

  /** The subscription's service; another subscription's is as unknown as a missing one. */
  get(subscriptionId: string, name: string): HostedService {
    const service = this.services.get(name.toLowerCase());
    if (!service || service.subscriptionId !== subscriptionId) throw FabricErrors.hostedServiceNotFound(name);
    return service;
  }

  list(subscriptionId: string): HostedService[] {
    return [...this.services.values()].filter((s) => s.subscriptionId === subscriptionId);
  }

  update(subscriptionId: string, name: string, fields: { label?: string; description?: string; extendedProperties?: Record<string, string> }): HostedService {
    const service = this.get(subscriptionId, name);
    if (fields.label !== undefined) service.label = fields.label;
    if (fields.description !== undefined) service.description = fields.description;
    if (fields.extendedProperties) Object.assign(service.extendedProperties, fields.extendedProperties);
    service.modified = this.now();
    return service;
  }

  delete(subscriptionId: string, name: string): void {
    this.get(subscriptionId, name);
    this.services.delete(name.toLowerCase());
  }

  addCertificate(subscriptionId: string, name: string, certificate: ServiceCertificate): void {
    const service = this.get(subscriptionId, name);
    if (service.certificates.has(certificate.thumbprint)) {
      throw FabricErrors.certificateAlreadyHeld(name, certificate.thumbprint);
    }
    service.certificates.set(certificate.thumbprint, certificate);
  }

  certificate(subscriptionId: string, name: string, algorithm: string, thumbprint: string): ServiceCertificate {
    const found = this.get(subscriptionId, name).certificates.get(thumbprint.toUpperCase());
    if (!found || algorithm.toLowerCase() !== found.thumbprintAlgorithm) {
      throw FabricErrors.certificateNotHeld(name, algorithm, thumbprint);
    }
    return found;
  }

  deleteCertificate(subscriptionId: string, name: string, algorithm: string, thumbprint: string): void {
    this.certificate(subscriptionId, name, algorithm, thumbprint);
    this.get(subscriptionId, name).certificates.delete(thumbprint.toUpperCase());
  }
}
