// The lines a user types to point their tools at this fabric's Service Management API (the "Connect tools"
// panel): the classic azure CLI, Microsoft's Node client, curl with the bearer token, and fabric-lab itself.
import type { ManagementConnection } from '../../src-main/common/fabric-api';

export interface ToolRecipe {
  tool: string;
  lines: string[];
}

type Subscription = ManagementConnection['subscriptions'][number];

/** A path as a POSIX shell reads it, quoted only when it must be. */
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function joinPath(folder: string, name: string): string {
  const separator = folder.includes('\\') && !folder.includes('/') ? '\\' : '/';
  return folder.endsWith(separator) ? folder + name : folder + separator + name;
}

export function toolRecipes(connection: ManagementConnection, subscription: Subscription): ToolRecipe[] {
  const ca = shellQuote(joinPath(connection.folder, 'ca.pem'));
  const settings = shellQuote(joinPath(connection.folder, subscription.publishSettingsFileName));
  const token = shellQuote(joinPath(connection.folder, 'token'));
  const url = connection.url;
  return [
    {
      tool: 'azure CLI (classic, asm mode)',
      lines: [
        `export NODE_EXTRA_CA_CERTS=${ca}`,
        'export AZURE_NON_INTERACTIVE_MODE=1',
        'azure config mode asm',
        `azure account env add FabricLab --management-endpoint-url ${url} --active-directory-resource-id ${url} --active-directory-endpoint-url ${url}`,
        `azure account import ${settings}`,
        'azure service list',
      ],
    },
    {
      tool: 'fabric-lab',
      lines: [`fabric-lab services --publish-settings ${settings} --ca ${ca}`, `fabric-lab status <service> --publish-settings ${settings} --ca ${ca} --json`],
    },
    {
      tool: 'curl (bearer token)',
      lines: [`curl --cacert ${ca} -H 'x-ms-version: 2017-01-01' -H "Authorization: Bearer $(cat ${token})" ${url}/${subscription.id}/services/hostedservices`],
    },
    {
      tool: 'Node: azure-asm-compute',
      lines: [
        `// NODE_EXTRA_CA_CERTS=${ca}; cert and key: the publish settings' PKCS#12 (empty password)`,
        `const credentials = new (require('azure-common').CertificateCloudCredentials)({ subscriptionId: '${subscription.id}', cert, key });`,
        `const compute = require('azure-asm-compute').createComputeManagementClient(credentials, '${url}');`,
      ],
    },
  ];
}
