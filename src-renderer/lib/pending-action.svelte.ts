// A command started from a button: `busy` while it runs (buttons that would start another one are disabled
// on it) and, when the fabric refuses it, the refusal's message in `error`, shown as the fabric words it.
// Panels wrote this try/catch by hand; a panel with two independent commands keeps two of these.
export class PendingAction {
  busy = $state(false);
  error = $state<string | null>(null);

  /** Clears the last error and runs `work`; false when it threw, its message then in `error`. */
  async run(work: () => Promise<unknown>): Promise<boolean> {
    this.error = null;
    this.busy = true;
    try {
      await work();
      return true;
    } catch (e) {
      this.error = (e as Error).message;
      return false;
    } finally {
      this.busy = false;
    }
  }
}
