/**
 * The Redis key layout, in one place. Every key starts with `ih:` so ImageHost can share a Redis with others.
 *
 * The part in braces is the Redis Cluster hash tag: keys that must change together in one command or
 * transaction share a tag, so the same code runs on a single Redis and on Redis Cluster (no CROSSSLOT).
 * Changes that span two tags are ordered so that a crash between the steps is harmless (see the store).
 *
 * | key                               | type   | holds                                                         |
 * |-----------------------------------|--------|---------------------------------------------------------------|
 * | ih:acct:{<usernameKey>}           | hash   | the account: userId, username, usernameKey, passwordHash, createdAt |
 * | ih:cred:{<sha256 of secret>}      | hash   | a credential (API key or session): id, kind, userId, username, name, createdAt, lastUsedAt, expiresAt; TTL = expiry |
 * | ih:user:{<userId>}:keys           | hash   | the user's API keys: key id → sha256 of secret                 |
 */
export const redisKeys = {
  account: (usernameKey: string) => `ih:acct:{${usernameKey}}`,
  credential: (secretHash: string) => `ih:cred:{${secretHash}}`,
  userApiKeys: (userId: string) => `ih:user:{${userId}}:keys`,
} as const;
