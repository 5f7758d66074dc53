/** Bad input from the command line or a file it names: exit 2 with this message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const EXIT = { ok: 0, findings: 1, failures: 1, usage: 2 } as const;
