import type { Cluster, Redis } from "ioredis";

/** Where a page starts: after the entry with this time and id (ids break ties). Milliseconds since epoch. */
interface PageCursor {
  createdAt: number;
  id: string;
}

/**
 * One page of a sorted set scored by creation time, newest first, read through `load` and filtered by `keep`:
 * `first` records and whether more follow. Ids with the cursor's own timestamp come back in descending id order;
 * those not below the cursor's id were on earlier pages. Records that `load` misses or `keep` refuses (deleted, or
 * someone else's) are skipped, so it reads on until the page fills.
 */
export async function newestFirstPage<T>(
  redis: Redis | Cluster,
  key: string,
  first: number,
  after: PageCursor | null,
  load: (id: string) => Promise<T | null>,
  keep: (record: T) => boolean,
): Promise<{ records: T[]; hasMore: boolean }> {
  const found: T[] = [];
  let offset = 0;
  while (found.length <= first) {
    const want = first + 1 - found.length;
    const batch = await redis.zrevrangebyscore(
      key,
      after ? after.createdAt : "+inf",
      "-inf",
      "WITHSCORES",
      "LIMIT",
      offset,
      want,
    );
    const entries: PageCursor[] = [];
    for (let i = 0; i < batch.length; i += 2) entries.push({ id: batch[i]!, createdAt: Number(batch[i + 1]) });
    offset += entries.length;
    const candidates = entries.filter((e) => !after || e.createdAt < after.createdAt || e.id < after.id);
    const records = await Promise.all(candidates.map((e) => load(e.id)));
    for (const record of records) if (record !== null && keep(record)) found.push(record);
    if (entries.length < want) break;
  }
  return { records: found.slice(0, first), hasMore: found.length > first };
}
