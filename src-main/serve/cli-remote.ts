// `fabric-lab services | deploy | upgrade | walk | status | reboot | reimage | rebuild | delete | export`: a client of a running Fabric
// Lab through its Service Management API, the way csrun drove the old emulator. Each verb reads the publish
// settings (the subscription, the URL and the management certificate) and trusts the CA beside them, so it works
// against any Fabric Lab the user can reach. Exit status: 0 done, 1 the API refused or the operation failed,
// 2 the command line is wrong.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { listOf, ManagementApiError, ManagementClient, readPublishSettings } from '../management/management-client';
import type { CliIo } from './cli-io';

interface RemoteOptions {
  publishSettings?: string;
  subscription?: string;
  ca?: string;
  slot: string;
  json?: boolean;
}

const exitFailed = 1;
const exitUsage = 2;

class UsageError extends Error {}

async function connect(options: RemoteOptions): Promise<ManagementClient> {
  const file = options.publishSettings ?? process.env.FABRIC_LAB_PUBLISH_SETTINGS;
  if (!file) throw new UsageError('name the publish settings with --publish-settings FILE (or FABRIC_LAB_PUBLISH_SETTINGS)');
  const subscription = await readPublishSettings(file, options.subscription);
  // Fabric Lab writes ca.pem beside the publish settings; another endpoint may need none (the system's CAs).
  const caFile = options.ca ?? (existsSync(join(dirname(file), 'ca.pem')) ? join(dirname(file), 'ca.pem') : undefined);
  const ca = caFile ? await readFile(caFile, 'utf8').catch(() => {
    throw new UsageError(`cannot read the CA certificate ${caFile}`);
  }) : undefined;
  return new ManagementClient(subscription, ca);
}

/** --mode as the API spells it, whatever its case; a usage error names the modes taken. */
function upgradeModeOf(text: string, modes: string[]): string {
  const mode = modes.find((m) => m.toLowerCase() === text.toLowerCase());
  if (!mode) throw new UsageError(`--mode must be ${modes.slice(0, -1).join(', ')} or ${modes.at(-1)}, not "${text}"`);
  return mode;
}

function slotOf(text: string): string {
  const slot = text.toLowerCase();
  if (slot !== 'production' && slot !== 'staging') throw new UsageError(`--slot must be production or staging, not "${text}"`);
  return slot;
}

const xml = (root: string, inner: string) => `<?xml version="1.0" encoding="utf-8"?><${root} xmlns="http://schemas.microsoft.com/windowsazure">${inner}</${root}>`;
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

interface RoleInstanceXml {
  RoleName?: string;
  InstanceName?: string;
  InstanceStatus?: string;
  InstanceStateDetails?: string;
  PowerState?: string;
  InstanceUpgradeDomain?: string;
  InstanceFaultDomain?: string;
  InstanceSize?: string;
}

export function addRemoteCommands(program: Command, io: CliIo, setStatus: (code: number) => void): void {
  const withConnection = (command: Command) =>
    command
      .option('--publish-settings <file>', 'the .publishsettings of the subscription (Fabric Lab writes one into its management folder)')
      .option('--subscription <id-or-name>', 'which subscription of the file (default: the first)')
      .option('--ca <file>', 'the CA certificate to trust (default: ca.pem beside the publish settings)');

  /** Run a verb: errors become one line and an exit status. */
  const run = (work: (client: ManagementClient) => Promise<void>, options: RemoteOptions) => async () => {
    try {
      await work(await connect(options));
      setStatus(0);
    } catch (error) {
      if (error instanceof UsageError) {
        io.err(`fabric-lab: ${error.message}`);
        setStatus(exitUsage);
      } else if (error instanceof ManagementApiError) {
        io.err(`fabric-lab: ${error.code}: ${error.message}${error.requestId ? ` (request ${error.requestId})` : ''}`);
        setStatus(exitFailed);
      } else {
        io.err(`fabric-lab: ${(error as Error).message}`);
        setStatus(exitFailed);
      }
    }
  };

  /** Start an operation and follow it to its end, printing its request id. */
  const operate = async (client: ManagementClient, method: string, path: string, body: string | undefined, what: string, json?: boolean) => {
    const { requestId } = await client.call(method, path, body);
    if (!json) io.out(`${what}: request ${requestId}`);
    await client.waitForOperation(requestId);
    if (json) io.out(JSON.stringify({ requestId, status: 'Succeeded' }));
    else io.out(`${what}: Succeeded.`);
  };

  withConnection(program.command('services').description('list the hosted services of the subscription, with their deployments'))
    .option('--json', 'print JSON')
    .action(async (options: RemoteOptions) =>
      run(async (client) => {
        const { body } = await client.call('GET', '/services/hostedservices');
        const services = listOf<{ ServiceName: string; HostedServiceProperties?: { Location?: string; Label?: string } }>((body.HostedServices as Record<string, unknown> | undefined)?.HostedService);
        const rows = [];
        for (const s of services) {
          const detail = (await client.call('GET', `/services/hostedservices/${encodeURIComponent(s.ServiceName)}?embed-detail=true`)).body.HostedService as Record<string, unknown>;
          const deployments = listOf<{ Name: string; DeploymentSlot: string; Status: string }>((detail.Deployments as Record<string, unknown> | undefined)?.Deployment);
          rows.push({ name: s.ServiceName, location: s.HostedServiceProperties?.Location ?? '', deployments: deployments.map((d) => ({ name: d.Name, slot: d.DeploymentSlot, status: d.Status })) });
        }
        if (options.json) return io.out(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return io.out(`No hosted services in ${client.subscription.name}.`);
        for (const r of rows) io.out(`${r.name} (${r.location})${r.deployments.map((d) => `  ${d.slot}: ${d.name} ${d.status}`).join('') || '  no deployments'}`);
      }, options)(),
    );

  withConnection(program.command('deploy').description('deploy a package to a hosted service (created in --location when missing) and wait until it is created'))
    .argument('<service>', 'the hosted service')
    .argument('<package>', 'a .cspkg, a csx folder or a .csdef on the machine running Fabric Lab')
    .argument('<cscfg>', 'the service configuration, read here and sent with the request')
    .option('--slot <slot>', 'production or staging', 'production')
    .option('--name <name>', 'the deployment name (default: the service name and the slot)')
    .option('--label <label>', 'the deployment label (default: the package file name)')
    .option('--location <location>', 'where to create the service when it does not exist', 'Local')
    .option('--suspended', 'create the deployment without starting it (StartDeployment=false)')
    .option('--json', 'print JSON')
    .action(async (service: string, pkg: string, cscfg: string, options: RemoteOptions & { name?: string; label?: string; location: string; suspended?: boolean }) =>
      run(async (client) => {
        const slot = slotOf(options.slot);
        const configuration = await readFile(cscfg, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new UsageError(`cannot read the configuration ${cscfg}: ${error.code ?? error.message}`);
        });
        if (!(await stat(pkg).catch(() => undefined))) throw new UsageError(`package not found: ${pkg}`);
        const name = options.name ?? `${service}-${slot}`;
        try {
          await client.call('GET', `/services/hostedservices/${encodeURIComponent(service)}`);
        } catch (error) {
          if (!(error instanceof ManagementApiError) || error.status !== 404) throw error;
          await client.call('POST', '/services/hostedservices', xml('CreateHostedService', `<ServiceName>${escape(service)}</ServiceName><Label>${b64(service)}</Label><Location>${escape(options.location)}</Location>`));
          if (!options.json) io.out(`Created hosted service ${service} in ${options.location}.`);
        }
        const body = xml(
          'CreateDeployment',
          `<Name>${escape(name)}</Name><PackageUrl>${escape(pathToFileURL(resolve(pkg)).href)}</PackageUrl><Label>${b64(options.label ?? basename(pkg))}</Label>` +
            `<Configuration>${b64(configuration)}</Configuration><StartDeployment>${options.suspended ? 'false' : 'true'}</StartDeployment>`,
        );
        await operate(client, 'POST', `/services/hostedservices/${encodeURIComponent(service)}/deploymentslots/${slot}`, body, `Create deployment ${name} in ${service} (${slot})`, options.json);
      }, options)(),
    );

  withConnection(program.command('upgrade').description('upgrade the deployment in a slot in place with a new package, walking its upgrade domains (Manual: walk each with `walk`)'))
    .argument('<service>', 'the hosted service')
    .argument('<package>', 'a .cspkg, a csx folder or a .csdef on the machine running Fabric Lab')
    .argument('<cscfg>', 'the service configuration, read here and sent with the request')
    .option('--slot <slot>', 'production or staging', 'production')
    .option('--mode <mode>', 'Auto (one upgrade domain after the other), Manual (each walked with `walk`) or Simultaneous', 'Auto')
    .option('--label <label>', 'the deployment label (default: the package file name)')
    .option('--json', 'print JSON')
    .action(async (service: string, pkg: string, cscfg: string, options: RemoteOptions & { mode: string; label?: string }) =>
      run(async (client) => {
        const slot = slotOf(options.slot);
        const mode = upgradeModeOf(options.mode, ['Auto', 'Manual', 'Simultaneous']);
        const configuration = await readFile(cscfg, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new UsageError(`cannot read the configuration ${cscfg}: ${error.code ?? error.message}`);
        });
        if (!(await stat(pkg).catch(() => undefined))) throw new UsageError(`package not found: ${pkg}`);
        const body = xml(
          'UpgradeDeployment',
          `<Mode>${mode}</Mode><PackageUrl>${escape(pathToFileURL(resolve(pkg)).href)}</PackageUrl><Configuration>${b64(configuration)}</Configuration>` +
            `<Label>${b64(options.label ?? basename(pkg))}</Label><Force>false</Force>`,
        );
        await operate(client, 'POST', `/services/hostedservices/${encodeURIComponent(service)}/deploymentslots/${slot}/?comp=upgrade`, body, `Upgrade the ${slot} deployment of ${service} (${mode})`, options.json);
      }, options)(),
    );

  withConnection(program.command('walk').description('walk the next upgrade domain of a Manual upgrade and wait until its instances are Ready again'))
    .argument('<service>', 'the hosted service')
    .argument('<upgrade-domain>', 'the upgrade domain to walk: the current one (see `status`)')
    .option('--slot <slot>', 'production or staging', 'production')
    .option('--json', 'print JSON')
    .action(async (service: string, domain: string, options: RemoteOptions) =>
      run(async (client) => {
        const slot = slotOf(options.slot);
        if (!/^\d{1,2}$/.test(domain)) throw new UsageError(`the upgrade domain is a number from 0 to 19, not "${domain}"`);
        const body = xml('WalkUpgradeDomain', `<UpgradeDomain>${domain}</UpgradeDomain>`);
        await operate(client, 'POST', `/services/hostedservices/${encodeURIComponent(service)}/deploymentslots/${slot}/?comp=walkupgradedomain`, body, `Walk upgrade domain ${domain} of ${service} (${slot})`, options.json);
      }, options)(),
    );

  withConnection(program.command('rollback').description('roll back the upgrade or configuration change in progress: the upgrade domains it walked return to what ran before'))
    .argument('<service>', 'the hosted service')
    .option('--slot <slot>', 'production or staging', 'production')
    .option('--mode <mode>', 'Auto (walk back by itself) or Manual (walk each domain back with `walk`)', 'Auto')
    .option('--json', 'print JSON')
    .action(async (service: string, options: RemoteOptions & { mode: string }) =>
      run(async (client) => {
        const slot = slotOf(options.slot);
        const mode = upgradeModeOf(options.mode, ['Auto', 'Manual']);
        const body = xml('RollbackUpdateOrUpgrade', `<Mode>${mode}</Mode><Force>false</Force>`);
        await operate(client, 'POST', `/services/hostedservices/${encodeURIComponent(service)}/deploymentslots/${slot}/?comp=rollback`, body, `Roll back the upgrade of ${service} (${slot})`, options.json);
      }, options)(),
    );

  withConnection(program.command('swap').description("VIP swap: the service's staging deployment becomes production and production staging (a lone deployment moves to the other slot)"))
    .argument('<service>', 'the hosted service')
    .option('--json', 'print JSON')
    .action(async (service: string, options: RemoteOptions) =>
      run(async (client) => {
        const path = `/services/hostedservices/${encodeURIComponent(service)}`;
        const detail = (await client.call('GET', `${path}?embed-detail=true`)).body.HostedService as Record<string, unknown>;
        const deployments = listOf<{ Name: string; DeploymentSlot: string }>((detail.Deployments as Record<string, unknown> | undefined)?.Deployment);
        const production = deployments.find((d) => d.DeploymentSlot === 'Production');
        const source = deployments.find((d) => d.DeploymentSlot === 'Staging') ?? production;
        if (!source) throw new UsageError(`hosted service ${service} has no deployment to swap`);
        const body = xml('Swap', `${production ? `<Production>${escape(production.Name)}</Production>` : ''}<SourceDeployment>${escape(source.Name)}</SourceDeployment>`);
        await operate(client, 'POST', path, body, `Swap the deployments of ${service}`, options.json);
      }, options)(),
    );

  withConnection(program.command('status').description("a deployment's status and every role instance's, as Get Deployment answers them"))
    .argument('<service>', 'the hosted service')
    .option('--slot <slot>', 'production or staging', 'production')
    .option('--json', 'print JSON')
    .action(async (service: string, options: RemoteOptions) =>
      run(async (client) => {
        const slot = slotOf(options.slot);
        const d = (await client.call('GET', `/services/hostedservices/${encodeURIComponent(service)}/deploymentslots/${slot}`)).body.Deployment as Record<string, unknown>;
        const instances = listOf<RoleInstanceXml>((d.RoleInstanceList as Record<string, unknown> | undefined)?.RoleInstance).map((i) => ({
          role: i.RoleName ?? '',
          name: i.InstanceName ?? '',
          status: i.InstanceStatus ?? '',
          details: i.InstanceStateDetails ?? '',
          powerState: i.PowerState ?? '',
          upgradeDomain: Number(i.InstanceUpgradeDomain ?? 0),
          faultDomain: Number(i.InstanceFaultDomain ?? 0),
          size: i.InstanceSize ?? '',
        }));
        const u = d.UpgradeStatus as Record<string, unknown> | undefined;
        const upgrade = u ? { type: String(u.UpgradeType ?? ''), state: String(u.CurrentUpgradeDomainState ?? ''), domain: Number(u.CurrentUpgradeDomain ?? 0) } : null;
        const view = { service, slot, name: String(d.Name ?? ''), id: String(d.PrivateID ?? ''), status: String(d.Status ?? ''), upgrade, instances };
        if (options.json) return io.out(JSON.stringify(view, null, 2));
        io.out(`${service} ${slot}: ${view.name} (${view.id}) ${view.status}`);
        if (upgrade) io.out(`  Upgrade (${upgrade.type}): upgrade domain ${upgrade.domain} ${upgrade.state === 'Before' ? 'waits to be walked' : 'is being walked'}`);
        for (const i of instances) io.out(`  ${i.name.padEnd(24)} ${i.status.padEnd(18)} ${i.powerState.padEnd(8)} UD ${i.upgradeDomain} FD ${i.faultDomain}${i.details ? `  ${i.details}` : ''}`);
      }, options)(),
    );

  const restarts = {
    reboot: ['Reboot', "restart a role instance's guest OS and wait until it is Ready again"],
    reimage: ['Reimage', 'give a role instance a fresh OS image (D: and E: wiped) and wait until it is Ready again'],
    rebuild: ['Rebuild', 'reimage a role instance and empty its local storage too, and wait until it is Ready again'],
  } as const;
  for (const verb of ['reboot', 'reimage', 'rebuild'] as const) {
    withConnection(program.command(verb).description(restarts[verb][1]))
      .argument('<service>', 'the hosted service')
      .argument('<instance>', 'the role instance, e.g. WorkerRole1_IN_0')
      .option('--slot <slot>', 'production or staging', 'production')
      .option('--json', 'print JSON')
      .action(async (service: string, instance: string, options: RemoteOptions) =>
        run(async (client) => {
          const slot = slotOf(options.slot);
          const path = `/services/hostedservices/${encodeURIComponent(service)}/deploymentslots/${slot}/roleinstances/${encodeURIComponent(instance)}?comp=${verb}`;
          await operate(client, 'POST', path, undefined, `${restarts[verb][0]} ${instance}`, options.json);
        }, options)(),
      );
  }

  withConnection(program.command('delete').description('delete the deployment in a slot and wait until it is gone; --service also deletes the hosted service'))
    .argument('<service>', 'the hosted service')
    .option('--slot <slot>', 'production or staging', 'production')
    .option('--service', 'then delete the hosted service too')
    .option('--json', 'print JSON')
    .action(async (service: string, options: RemoteOptions & { service?: boolean }) =>
      run(async (client) => {
        const slot = slotOf(options.slot);
        await operate(client, 'DELETE', `/services/hostedservices/${encodeURIComponent(service)}/deploymentslots/${slot}`, undefined, `Delete the ${slot} deployment of ${service}`, options.json);
        if (options.service) {
          await client.call('DELETE', `/services/hostedservices/${encodeURIComponent(service)}`);
          if (!options.json) io.out(`Deleted hosted service ${service}.`);
        }
      }, options)(),
    );

  withConnection(program.command('export').description("write the running Fabric Lab's session logs to one .zip and download it"))
    .argument('<file>', 'where to save the .zip (must not exist)')
    .option('--json', 'print JSON')
    .action(async (file: string, options: RemoteOptions) =>
      run(async (client) => {
        if (existsSync(file)) throw new UsageError(`${file} already exists; choose a new file`);
        const info = (await client.call('POST', '/fabriclab/export')).body.SessionExport as { Id: string; Files: string; Bytes: string; FileName: string };
        await client.download(`/fabriclab/exports/${encodeURIComponent(info.Id)}`, file);
        if (options.json) io.out(JSON.stringify({ file: resolve(file), files: Number(info.Files), bytes: Number(info.Bytes) }));
        else io.out(`Exported ${info.Files} files (${info.Bytes} bytes) to ${file}.`);
      }, options)(),
    );
}
