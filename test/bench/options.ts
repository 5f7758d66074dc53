import { InvalidArgumentError } from 'commander';

/** A commander option parser: a whole number of at least 1 (runs, processes). */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}
