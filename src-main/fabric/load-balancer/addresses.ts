// Loopback addresses for the emulated network. On Linux every 127.0.0.0/8 address is loopback, so each
// deployment gets its own VIP (production 127.100.x.y, staging 127.101.x.y) and each host its own DIP range
// (127.255.<host>.0/24, the last octet per VM; the old emulator used 127.255.0.x). Where the OS answers only
// 127.0.0.1 (macOS without aliases), every VIP and DIP is 127.0.0.1 and ports walk instead.
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

export class VipAddresses {
  private readonly next: Record<Slot, number> = { production: 0, staging: 0 };

  constructor(private readonly aliases: boolean) {}

  /** A fresh VIP for a deployment in `slot` (VIPs are not reused within a session). */
  allocate(slot: Slot): string {
    if (!this.aliases) return '127.0.0.1';
    const n = this.next[slot]++;
    const second = slot === 'production' ? 100 : 101;
    return `127.${second}.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
  }
}

/** The DIP range of the host-th host of the fabric (1-based): its VMs get <prefix>.1 ... .254. */
export function dipPrefixOf(hostNumber: number, aliases: boolean): string | null {
  if (!aliases) return null;
  const k = hostNumber - 1;
  return `127.${255 - (Math.floor(k / 254) % 100)}.${(k % 254) + 1}`;
}
