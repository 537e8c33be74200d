// The Service Management API as one face of a running fabric: credentials from the folder (made the first
// time), the HTTPS server, the files tools read (publish settings, CA, token) and the connection details the
// UI's "Connect tools" panel shows. Each shell calls this once.
import { join } from 'node:path';
import type { ManagementConnection } from '../common/fabric-api';
import type { Fabric } from '../fabric/fabric';
import { userFolder } from '../fabric/user-folders';
import { loadOrCreateCredentials, publishSettingsFileName, writeToolFiles } from './management-credentials';
import { startManagementServer, type ManagementServer } from './management-server';

/** The user's configuration folder's management/ (fabric/user-folders.ts). */
export function defaultManagementFolder(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  return join(userFolder('config', env, platform), 'management');
}

export interface ManagementFace {
  server: ManagementServer;
  connection: ManagementConnection;
  close(): Promise<void>;
}

export async function startManagementFace(fabric: Fabric, options: { folder: string; port?: number; log?: (line: string) => void }): Promise<ManagementFace> {
  const credentials = loadOrCreateCredentials(options.folder);
  const server = await startManagementServer({
    management: fabric.management,
    credentials,
    port: options.port,
    log: options.log,
    extensions: { exportSession: () => fabric.exportSession({}), exports: async () => (await fabric.getExportStatus()).exports },
  });
  const written = writeToolFiles(credentials, server.url);
  const connection: ManagementConnection = {
    url: server.url,
    folder: credentials.folder,
    caPem: credentials.caPem,
    subscriptions: credentials.subscriptions.map((s) => ({
      id: s.id,
      name: s.name,
      token: s.token,
      publishSettingsFileName: publishSettingsFileName(s),
      publishSettings: written.publishSettings.get(s.id)!,
    })),
  };
  fabric.setManagementConnection(connection);
  return {
    server,
    connection,
    async close() {
      fabric.setManagementConnection(null);
      await server.close();
    },
  };
}
