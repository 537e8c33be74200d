// How an instance status reads at a glance: a tone for colour and a symbol, so the meaning never rests on
// colour alone.
import type { InstanceStatus } from '../../src-main/common/instance-status';

export type Tone = 'ready' | 'progress' | 'busy' | 'stopping' | 'stopped' | 'failed' | 'unknown';

const tones: Record<InstanceStatus, Tone> = {
  RoleStateUnknown: 'unknown',
  Preparing: 'progress',
  CreatingVM: 'progress',
  StartingVM: 'progress',
  CreatingRole: 'progress',
  StartingRole: 'progress',
  BusyRole: 'busy',
  ReadyRole: 'ready',
  RestartingRole: 'busy',
  CyclingRole: 'failed',
  FailedStartingRole: 'failed',
  FailedStartingVM: 'failed',
  UnresponsiveRole: 'failed',
  StoppingRole: 'stopping',
  StoppingVM: 'stopping',
  DeletingVM: 'stopping',
  StoppedVM: 'stopped',
  StoppedDeallocated: 'stopped',
};

export const toneSymbol: Record<Tone, string> = {
  ready: '●',
  progress: '◔',
  busy: '◑',
  stopping: '◌',
  stopped: '■',
  failed: '▲',
  unknown: '?',
};

export function toneOf(status: InstanceStatus): Tone {
  return tones[status];
}

/** 83 s -> "1m 23s" */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function formatClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
