// Each host worker's share of the process's file descriptors for its logs (logs/log-writer.ts keeps at most
// that many open). Every host of the process logs, so the soft limit is shared out among them, leaving room for
// the sockets, workers and files the rest of the fabric opens.
import { readFileSync } from 'node:fs';

/** The process's soft limit on open files: /proc on Linux; elsewhere macOS's default, the smallest common one. */
export function openFileLimit(): number {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
    if (soft === 'unlimited') return 1_048_576;
    if (soft) return Number(soft);
  } catch {
    // Not Linux.
  }
  return 256;
}

/** Logs a host may hold open at once: 70% of the limit shared by `hosts`, at least 8 and at most 256. */
export function logDescriptorShare(hosts: number, limit = openFileLimit()): number {
  return Math.min(256, Math.max(8, Math.floor((limit * 0.7) / Math.max(1, hosts))));
}
