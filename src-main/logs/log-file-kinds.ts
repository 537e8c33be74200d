// What a session file is, read off its name: the process that writes it and its line shape, and whether it
// is a level index kept beside a log (level-index.ts) rather than a log. Small and free of fs/promises, so
// the host worker's log writer can ask it without loading what only the fabric's readers need.
import type { LogFileFormat } from '../common/log-api';

/** A log's level index is the log's own name plus this (WaAppAgent.log.levels). */
export const levelIndexSuffix = '.levels';

/** The level index kept beside a log. */
export const levelIndexOf = (file: string): string => `${file}${levelIndexSuffix}`;

export const isLevelIndex = (name: string): boolean => name.endsWith(levelIndexSuffix);

/** The process that writes a file, and its line shape, read off the file's name. */
export function describeFile(name: string): { process: string; format: LogFileFormat } {
  const stem = name.replace(/\.(\d{3,})(\.[^.]+)$/, '$2').replace(/\.[^.]+$/, '');
  if (/\.xml$/i.test(name)) return { process: stem, format: 'text' };
  if (/^(WaAppAgent|AppAgentRuntime)$/i.test(stem)) return { process: stem, format: 'app-agent' };
  if (/^WaHostBootstrapper$/i.test(stem)) return { process: stem, format: 'bootstrapper' };
  if (/^(WaWorkerHost|WaWebHost|WaIISHost|IISConfigurator)$/i.test(stem)) return { process: stem, format: 'host-process' };
  if (/^u_ex\d{6}$/i.test(stem)) return { process: 'IIS', format: 'iis' };
  if (/\.jsonl$/i.test(name)) return { process: stem.replace(/\.evtx$/, ''), format: 'events' };
  if (/^(FrontEnd|FabricController|HostAgent)$/.test(stem)) return { process: stem, format: 'fabric' };
  return { process: stem, format: 'text' };
}

