export type HistoryErrorCode =
  | 'ReadFailed'
  | 'CorruptPointer'
  | 'MissingReport'
  | 'CorruptReport'
  | 'UnsupportedSchemaVersion'
  | 'InvalidRunId'
  | 'WriteFailed';

/** A run history that cannot be read or written as it should; `code` says what. */
export class HistoryError extends Error {
  override name = 'HistoryError';
  constructor(
    readonly code: HistoryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
