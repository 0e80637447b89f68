/**
 * Runs at most `limit` tasks at a time; the rest wait in order. Used to keep bcrypt and sharp (which run on libuv's
 * small worker pool) from taking every worker thread, so file-system calls of other requests are not starved.
 */
export function concurrencyLimit(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}
