/**
 * Ctrl-C (SIGINT) or a CI job's SIGTERM while a delivering scan holds the run lease: the lease is
 * released first, so the next night (or the next operator) does not wait out its TTL, then the
 * process exits with the shell's code for the signal (128 + its number: 130, 143). A second
 * signal while releasing ends the process at once (Node's default, as no handler is left).
 */

export const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/** How long the release may take before the process exits anyway (the lease then expires on its own). */
const RELEASE_TIMEOUT_MS = 5_000;

export interface InterruptHooks {
  /** Says what happens (standard error). */
  err: (s: string) => unknown;
  /** Releases what the run holds; awaited up to RELEASE_TIMEOUT_MS. */
  release: () => Promise<unknown>;
  /** Ends the process (process.exit; a test passes its own). */
  exit: (code: number) => unknown;
  /** Where the signals come from (process). */
  signals?: Pick<NodeJS.Process, 'once' | 'off'>;
}

/** Installs the handlers; call the returned function once the run is over to remove them. */
export function onInterrupt(hooks: InterruptHooks): () => void {
  const signals = hooks.signals ?? process;
  const handlers = new Map<'SIGINT' | 'SIGTERM', () => void>();
  const uninstall = () => {
    for (const [signal, handler] of handlers) signals.off(signal, handler);
    handlers.clear();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const handler = () => {
      uninstall();
      hooks.err(`\nfleet-audit: ${signal}: releasing the run lease, then stopping (the report of this run is not written)\n`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(resolve, RELEASE_TIMEOUT_MS);
        timer.unref();
      });
      void Promise.race([hooks.release().catch(() => undefined), timeout]).then(() => {
        clearTimeout(timer);
        hooks.exit(SIGNAL_EXIT[signal]);
      });
    };
    handlers.set(signal, handler);
    signals.once(signal, handler);
  }
  return uninstall;
}
