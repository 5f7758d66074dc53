/** Locale-independent string order, so results sort the same on every machine. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders records by the given keys in turn (a missing key sorts first). */
export function byKeys<T>(...keys: ((item: T) => string | undefined)[]): (a: T, b: T) => number {
  return (a, b) => {
    for (const key of keys) {
      const order = compareText(key(a) ?? '', key(b) ?? '');
      if (order !== 0) return order;
    }
    return 0;
  };
}
