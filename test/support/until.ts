/**
 * Probes until `done` accepts what `probe` returns, every 10 ms, and fails naming `what` (and the last value) when
 * `ms` pass first: for effects promised within a time, such as another node's cache hearing of a change.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (last: ${String(value)})`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
