// `--pool "West Europe:4x8"`: one machine pool per flag (serve and `fabric-lab run`), each in its region,
// so FFE has pools to choose between. Parsed without side effects so it can be tested on its own.
import type { PoolConfig } from '../fabric/pool-hosts';

/** Bounds that keep a typo from starting ten thousand threads; the benchmark's 64 x 32 fits well inside. */
export const maxHosts = 256;
export const maxCoresPerHost = 64;
export const maxPools = 16;
/** Spare hosts a pool gets when the spec names none, as the default pool has. */
export const defaultSpareHosts = 1;

export const poolSpecUsage = 'REGION:HOSTSxCORES[+SPARES], e.g. "West Europe:4x8" (4 hosts of 8 cores, plus 1 spare) or "East US:2x16+0"';

const specPattern = /^([^:]+):(\d+)x(\d+)(?:\+(\d+))?$/;
const regionPattern = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,59}$/;

/** One `--pool` value; `index` names it (Pool A, Pool B, ...). Throws an Error that says what is wrong. */
export function parsePoolSpec(text: string, index: number): PoolConfig {
  const match = specPattern.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not ${poolSpecUsage}`);
  const region = match[1]!.trim();
  if (!regionPattern.test(region)) throw new Error(`region "${region}" must start with a letter or digit and hold letters, digits, spaces, dots, hyphens or underscores (at most 60)`);
  const hosts = Number(match[2]);
  const coresPerHost = Number(match[3]);
  const spareHosts = match[4] === undefined ? defaultSpareHosts : Number(match[4]);
  if (!(hosts >= 1 && hosts <= maxHosts)) throw new Error(`"${text}": hosts must be from 1 to ${maxHosts}, got ${match[2]}`);
  if (!(coresPerHost >= 1 && coresPerHost <= maxCoresPerHost)) throw new Error(`"${text}": cores per host must be from 1 to ${maxCoresPerHost}, got ${match[3]}`);
  if (!(spareHosts <= maxHosts)) throw new Error(`"${text}": spare hosts must be from 0 to ${maxHosts}, got ${match[4]}`);
  return { name: `Pool ${String.fromCharCode(65 + index)}`, region, hosts, spareHosts, coresPerHost, faultDomains: 2 };
}

/** Every `--pool` value, checked together: at most 16 pools and 256 hosts (spares included) in all. */
export function parsePoolSpecs(texts: readonly string[]): PoolConfig[] {
  if (texts.length > maxPools) throw new Error(`at most ${maxPools} pools, got ${texts.length}`);
  const pools = texts.map((text, i) => parsePoolSpec(text, i));
  const total = pools.reduce((sum, p) => sum + p.hosts + (p.spareHosts ?? 0), 0);
  if (total > maxHosts) throw new Error(`the pools hold ${total} hosts (spares included); at most ${maxHosts} in all`);
  return pools;
}
