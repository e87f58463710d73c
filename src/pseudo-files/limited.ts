// A bounded number of calls in flight at once.

/** Files a sweep of /proc keeps open at once (a node with 2000 pods has some 8000 processes). */
export const PROC_SWEEP_FILES_IN_FLIGHT = 32;

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, results in order: a listing of
 * /proc must not hold thousands of files open at once.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
