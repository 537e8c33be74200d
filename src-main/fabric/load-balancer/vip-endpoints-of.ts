// What a deployment's service model opens on its VIP: the load balancer's endpoint configs (InputEndpoints, and
// one port per instance of an InstanceInputEndpoint's range) and the deployment view's input endpoints (not yet
// listening: the load balancer's thread fills in their ports). Pure: the csdef in, both lists out.
import { vipEndpointKey, type DeploymentInputEndpointView } from '../../common/fabric-api';
import type { ServiceModel } from '../../common/service-model';
import type { VipEndpointConfig } from './protocol';

/** An InstanceInputEndpoint opens one VIP port per instance number of its range, at most this many. */
const maxInstancePorts = 100;

/** What an https endpoint's card says of its certificate (`tls`): the stand-in for the one the package names. */
export function standInTlsNote(certificateName: string | undefined, thumbprint: string | undefined): string {
  return `self-signed stand-in for certificate ${certificateName ?? '(none named)'}${thumbprint ? ` (thumbprint ${thumbprint})` : ''}: Fabric Lab does not hold the real one, so clients see an untrusted certificate`;
}

export function vipEndpointsOf(deploymentId: string, model: ServiceModel, vip: string): { configs: VipEndpointConfig[]; views: DeploymentInputEndpointView[] } {
  const configs: VipEndpointConfig[] = model.roles.flatMap((role) =>
    role.endpoints.input
      .filter((e) => e.protocol !== 'udp')
      .map((e): VipEndpointConfig => {
        const probe = model.loadBalancerProbes.find((p) => p.name === e.loadBalancerProbe);
        return {
          deploymentId,
          roleName: role.name,
          name: e.name,
          protocol: e.protocol,
          vip,
          requestedPort: e.port,
          distribution: e.loadBalancerDistribution ?? 'fiveTuple',
          idleTimeoutMs: (e.idleTimeoutInMinutes ?? 4) * 60_000,
          ...(probe
            ? { probe: { name: probe.name, protocol: probe.protocol, ...(probe.path ? { path: probe.path } : {}), ...(probe.port ? { port: probe.port } : {}), intervalMs: probe.intervalInSeconds * 1000, timeoutMs: probe.timeoutInSeconds * 1000 } }
            : {}),
        };
      }),
  );
  // InstanceInputEndpoints: port min + n of the range goes straight to <Role>_IN_<n>, whoever holds that number.
  const instancePorts = model.roles.flatMap((role) =>
    role.endpoints.instanceInput
      .filter((e) => e.protocol === 'tcp')
      .flatMap((e) =>
        Array.from({ length: Math.min(maxInstancePorts, e.publicPortRange.max - e.publicPortRange.min + 1) }, (_, n) => ({ role, e, instanceName: `${role.name}_IN_${n}`, port: e.publicPortRange.min + n })),
      ),
  );
  for (const { role, e, instanceName, port } of instancePorts) {
    configs.push({
      deploymentId,
      roleName: role.name,
      name: vipEndpointKey({ name: e.name, instanceName }),
      protocol: 'tcp',
      vip,
      requestedPort: port,
      distribution: 'fiveTuple',
      idleTimeoutMs: 4 * 60_000,
      instance: { instanceName, endpointName: e.name },
    });
  }
const views: DeploymentInputEndpointView[] = model.roles.flatMap((role) =>
    role.endpoints.input.map((e) => {
      const certificate = role.certificates.find((c) => c.name === e.certificate);
      return {
        roleName: role.name,
        name: e.name,
        protocol: e.protocol,
        vip,
        port: null,
        requestedPort: e.port,
        note: e.protocol === 'udp' ? 'udp endpoints are not load-balanced by Fabric Lab' : '',
        // TLS ends on the instances, as in Azure (the load balancer forwards the bytes); their certificate is a stand-in.
        tls: e.protocol !== 'https' ? null : standInTlsNote(e.certificate, certificate?.thumbprint),
        instanceName: null,
      };
    }),
  );
views.push(
    ...instancePorts.map(({ role, e, instanceName, port }) => ({ roleName: role.name, name: e.name, protocol: e.protocol, vip, port: null, requestedPort: port, note: '', tls: null, instanceName })),
  );
  return { configs, views };
}
