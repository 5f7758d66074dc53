/** A notification that could not be published; the run records it and goes on. */
export class NotifyError extends Error {
  override name = 'NotifyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
