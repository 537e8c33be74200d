// Where Fabric Lab keeps what outlives a session for its user, by each platform's rule: what the user would miss
// (the Service Management API's CA and credentials) in the configuration folder, what can be made again (the host
// code cache) in the cache folder. The desktop app uses its own data folder instead.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Fabric Lab's folder of `kind`: XDG on Linux, Application Support / Caches on macOS, APPDATA / LOCALAPPDATA on Windows. */
export function userFolder(kind: 'config' | 'cache', env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join((kind === 'config' ? env.APPDATA : env.LOCALAPPDATA) ?? join(homedir(), 'AppData', kind === 'config' ? 'Roaming' : 'Local'), 'Fabric Lab');
  if (platform === 'darwin') return join(homedir(), 'Library', kind === 'config' ? 'Application Support' : 'Caches', 'Fabric Lab');
  const base = kind === 'config' ? env.XDG_CONFIG_HOME || join(homedir(), '.config') : env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'fabric-lab');
}
