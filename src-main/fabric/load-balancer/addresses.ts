// Loopback addresses for the emulated network. On Linux every 127.0.0.0/8 address is loopback, so each
// deployment gets its own VIP (production 127.100.x.y, staging 127.101.x.y) and each host its own DIP range
// (127.255.<host>.0/24, the last octet per VM; the old emulator used 127.255.0.x). Where the OS answers only
// 127.0.0.1 (macOS without aliases), every VIP and DIP is 127.0.0.1 and ports walk instead.
// Several fabrics on one machine (two test runs, an app and a `serve`) each claim a network of their own, so their
// VIPs and DIPs never meet: network n shifts the VIPs' second octet by 2n and the DIPs' down by 8n.
import { createServer } from 'node:net';
import type { Slot } from '../../common/fabric-api';

/** Whether this OS lets a process bind a loopback address other than 127.0.0.1. */
export function loopbackAliasesWork(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '127.255.255.254', () => server.close(() => resolve(true)));
  });
}

/** Networks of their own for the fabrics of one machine; a fabric finding all taken shares the first (ports walk). */
export const fabricNetworks = 12;
/** DIP second octets per network: 8 x 254 hosts. */
const dipBlocks = 8;
/** A fabric holds its network by listening on 127.99.0.<n+1> at this port while it runs. */
const networkMarkerPort = 47_999;

/** Claim the first network of this machine no other fabric holds; `release` lets it go. */
export async function claimNetwork(aliases: boolean): Promise<{ index: number; release: () => void }> {
  if (aliases) {
    for (let index = 0; index < fabricNetworks; index++) {
      // A marker, never a service: whoever connects is hung up on.
      const server = createServer((socket) => socket.destroy());
      const claimed = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(networkMarkerPort, `127.99.0.${index + 1}`, () => resolve(true));
      });
      if (claimed) {
        server.unref();
        return { index, release: () => void server.close() };
      }
    }
  }
  return { index: 0, release: () => undefined };
}

export class VipAddresses {
  private readonly next: Record<Slot, number> = { production: 0, staging: 0 };

  constructor(
    private readonly aliases: boolean,
    /** This fabric's network on the machine (claimNetwork). */
    private readonly network = 0,
  ) {}

  /** A fresh VIP for a deployment in `slot` (VIPs are not reused within a session). */
  allocate(slot: Slot): string {
    if (!this.aliases) return '127.0.0.1';
    const n = this.next[slot]++;
    const second = (slot === 'production' ? 100 : 101) + 2 * this.network;
    return `127.${second}.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
  }
}

/** The DIP range of the host-th host of the fabric (1-based) in its network: its VMs get <prefix>.1 ... .254. */
export function dipPrefixOf(hostNumber: number, aliases: boolean, network = 0): string | null {
  if (!aliases) return null;
  const k = hostNumber - 1;
  return `127.${255 - dipBlocks * network - (Math.floor(k / 254) % dipBlocks)}.${(k % 254) + 1}`;
}
