/** Bad input from the command line or a file it names: exit 2 with this message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const EXIT = { ok: 0, findings: 1, failures: 1, usage: 2 } as const;

/** Runs `fn`, turning the given input errors (a bad rule file, a bad suppressions file) into usage errors: exit 2. */
export async function asUsageError<T>(fn: () => Promise<T>, inputErrors: readonly (new (...args: never[]) => Error)[]): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (inputErrors.some((type) => error instanceof type)) throw new UsageError((error as Error).message, { cause: error });
    throw error;
  }
}
