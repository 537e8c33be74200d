// The process's last line of defence. Every boundary (worker messages, sockets, files, IPC) catches its own
// errors; what still escapes one is a bug, and it is said where a support engineer looks (the fabric's
// FrontEnd.log and the dashboard's activity) instead of ending a datacenter with everything the user built in it.
import type { EventEmitter } from 'node:events';

/** How an escaped error reaches the fabric: FrontEnd.log and a fabric-error record (Fabric.reportError). */
export type LastResortReport = (message: string) => void;

export function installLastResortHandlers(report: LastResortReport, target: EventEmitter = process): () => void {
  const say = (what: string, error: unknown): void => {
    const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    // stderr first: it is the one place left if the report itself fails.
    console.error(`Fabric Lab: ${message}`, error instanceof Error && error.stack ? `\n${error.stack}` : '');
    try {
      report(message);
    } catch {
      // Already on stderr.
    }
  };
  const onException = (error: unknown): void => say('An error escaped every handler (the fabric keeps running)', error);
  const onRejection = (reason: unknown): void => say('A promise failed with no handler (the fabric keeps running)', reason);
  target.on('uncaughtException', onException);
  target.on('unhandledRejection', onRejection);
  return () => {
    target.off('uncaughtException', onException);
    target.off('unhandledRejection', onRejection);
  };
}
