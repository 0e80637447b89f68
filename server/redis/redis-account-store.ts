import type { AccountRecord, CredentialKind, CredentialRecord, AccountStore } from "../ports/account-store.js";
import { flatten, redisKeys } from "./keys.js";
import type { RedisConnection } from "./redis-client.js";
import { CREATE_HASH_IF_ABSENT, runScript } from "./scripts.js";

/** Updates fields of an existing hash only, so touching a credential never resurrects a revoked one. */
const UPDATE_HASH_IF_PRESENT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local expiresAt = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
if expiresAt > 0 then redis.call('PEXPIREAT', KEYS[1], expiresAt) end
return 1`;

export class RedisAccountStore implements AccountStore {
  constructor(private readonly redis: RedisConnection) {}

  async createAccount(account: AccountRecord): Promise<boolean> {
    const created = await runScript(
      this.redis,
      CREATE_HASH_IF_ABSENT,
      1,
      redisKeys.account(account.usernameKey),
      ...flatten({
        userId: account.userId,
        username: account.username,
        usernameKey: account.usernameKey,
        passwordHash: account.passwordHash,
        createdAt: String(account.createdAt),
      }),
    );
    return created === 1;
  }

  async findAccount(usernameKey: string): Promise<AccountRecord | null> {
    const h = await this.redis.hgetall(redisKeys.account(usernameKey));
    if (!h.userId || !h.passwordHash) return null;
    return {
      userId: h.userId,
      username: h.username ?? usernameKey,
      usernameKey: h.usernameKey ?? usernameKey,
      passwordHash: h.passwordHash,
      createdAt: Number(h.createdAt),
    };
  }

  async updatePasswordHash(usernameKey: string, passwordHash: string): Promise<boolean> {
    const updated = await runScript(
      this.redis,
      "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end redis.call('HSET', KEYS[1], 'passwordHash', ARGV[1]) return 1",
      1,
      redisKeys.account(usernameKey),
      passwordHash,
    );
    return updated === 1;
  }

  async deleteAccount(usernameKey: string, userId: string): Promise<void> {
    await runScript(
      this.redis,
      "if redis.call('HGET', KEYS[1], 'userId') == ARGV[1] then redis.call('DEL', KEYS[1]) end return 1",
      1,
      redisKeys.account(usernameKey),
      userId,
    );
  }

  async saveCredential(c: CredentialRecord): Promise<void> {
    // Listed first, usable second: a crash in between leaves a listed key that cannot authenticate and that
    // the user can still see and revoke, never a working key the user cannot see.
    if (c.kind === "api_key") await this.redis.hset(redisKeys.userApiKeys(c.userId), c.id, c.secretHash);
    // Sessions are listed scored by expiry, so the list forgets them as they lapse and never grows unbounded.
    if (c.kind === "session" && c.expiresAt !== null) {
      await this.redis
        .multi()
        .zremrangebyscore(redisKeys.userSessions(c.userId), "-inf", c.createdAt)
        .zadd(redisKeys.userSessions(c.userId), c.expiresAt, c.secretHash)
        .exec();
    }
    const key = redisKeys.credential(c.secretHash);
    const fields = flatten({
      id: c.id,
      kind: c.kind,
      userId: c.userId,
      username: c.username,
      name: c.name,
      createdAt: String(c.createdAt),
      lastUsedAt: c.lastUsedAt === null ? "" : String(c.lastUsedAt),
      expiresAt: c.expiresAt === null ? "" : String(c.expiresAt),
    });
    if (c.expiresAt === null) {
      await this.redis.hset(key, ...fields);
    } else {
      await this.redis
        .multi()
        .hset(key, ...fields)
        .pexpireat(key, c.expiresAt)
        .exec();
    }
  }

  async findCredential(secretHash: string): Promise<CredentialRecord | null> {
    return toCredential(secretHash, await this.redis.hgetall(redisKeys.credential(secretHash)));
  }

  async touchCredential(secretHash: string, usedAt: number, expiresAt: number | null, userId?: string): Promise<void> {
    const fields = ["lastUsedAt", String(usedAt)];
    if (expiresAt !== null) fields.push("expiresAt", String(expiresAt));
    // The session list follows the sliding expiry (only for entries still listed: XX).
    if (expiresAt !== null && userId !== undefined)
      await this.redis.zadd(redisKeys.userSessions(userId), "XX", expiresAt, secretHash);
    await runScript(
      this.redis,
      UPDATE_HASH_IF_PRESENT,
      1,
      redisKeys.credential(secretHash),
      String(expiresAt ?? 0),
      ...fields,
    );
  }

  async deleteCredential(c: Pick<CredentialRecord, "secretHash" | "userId" | "kind" | "id">): Promise<void> {
    // Unusable first, unlisted second: a crash in between leaves a dead listed key, which revoking again clears.
    await this.redis.del(redisKeys.credential(c.secretHash));
    if (c.kind === "api_key") await this.redis.hdel(redisKeys.userApiKeys(c.userId), c.id);
    if (c.kind === "session") await this.redis.zrem(redisKeys.userSessions(c.userId), c.secretHash);
  }

  async listSessions(userId: string): Promise<CredentialRecord[]> {
    const hashes = await this.redis.zrangebyscore(redisKeys.userSessions(userId), Date.now(), "+inf");
    const records = await Promise.all(hashes.map((hash) => this.findCredential(hash)));
    return records.filter((r): r is CredentialRecord => r !== null && r.kind === "session" && r.userId === userId);
  }

  async dropCredentialLists(userId: string): Promise<void> {
    await this.redis.del(redisKeys.userApiKeys(userId), redisKeys.userSessions(userId));
  }

  async listApiKeys(userId: string): Promise<CredentialRecord[]> {
    const index = await this.redis.hgetall(redisKeys.userApiKeys(userId));
    // One command per credential: they live in different hash slots, so no multi-key command may read them.
    const records = await Promise.all(Object.values(index).map((hash) => this.findApiKeyRecord(userId, hash)));
    return records
      .filter((r): r is CredentialRecord => r !== null)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async findApiKey(userId: string, keyId: string): Promise<CredentialRecord | null> {
    const hash = await this.redis.hget(redisKeys.userApiKeys(userId), keyId);
    if (!hash) return null;
    const record = await this.findApiKeyRecord(userId, hash);
    // A key that is listed but no longer usable is still the user's to revoke (see saveCredential).
    return record ?? deadApiKey(userId, keyId, hash);
  }

  async checkReady(): Promise<void> {
    await this.redis.ping();
  }

  private async findApiKeyRecord(userId: string, secretHash: string): Promise<CredentialRecord | null> {
    const record = await this.findCredential(secretHash);
    return record && record.kind === "api_key" && record.userId === userId ? record : null;
  }
}

function toCredential(secretHash: string, h: Record<string, string>): CredentialRecord | null {
  if (!h.id || !h.userId || (h.kind !== "api_key" && h.kind !== "session")) return null;
  return {
    id: h.id,
    kind: h.kind as CredentialKind,
    secretHash,
    userId: h.userId,
    username: h.username ?? "",
    name: h.name ?? "",
    createdAt: Number(h.createdAt),
    lastUsedAt: h.lastUsedAt ? Number(h.lastUsedAt) : null,
    expiresAt: h.expiresAt ? Number(h.expiresAt) : null,
  };
}

function deadApiKey(userId: string, id: string, secretHash: string): CredentialRecord {
  return {
    id,
    kind: "api_key",
    secretHash,
    userId,
    username: "",
    name: "",
    createdAt: 0,
    lastUsedAt: null,
    expiresAt: null,
  };
}
