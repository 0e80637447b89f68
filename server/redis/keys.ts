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
 * | ih:user:{<userId>}:sessions       | zset   | the user's login sessions: sha256 of secret, scored by expiry  |
 * | ih:user:{<userId>}:profile        | hash   | the user by id: username, usernameKey, createdAt, lastSeenAt, disabled, deleting |
 * | ih:users                          | zset   | every user id, scored by createdAt (admin listing, counts)     |
 * | ih:users:deleting                 | hash   | user id → username key, for deletions started and not finished (the sweep finishes them) |
 * | ih:invite:{<sha256 of code>}      | hash   | an invite: id, note, createdBy, createdAt, expiresAt, usedAt, usedBy |
 * | ih:invites                        | hash   | every invite: invite id → sha256 of its code                   |
 * | ih:user:{<userId>}:ticket:<id>    | hash   | an open upload ticket (see UploadTicketRecord); TTL = its expiry |
 * | ih:user:{<userId>}:tickets        | zset   | the user's open tickets: upload id, scored by expiry (SEC-13 limit) |
 * | ih:user:{<userId>}:completing:<id> | string | a claim on completing that upload, so concurrent completes work once; short TTL |
 * | ih:user:{<userId>}:images         | zset   | the user's images: image id, scored by createdAt (newest-first pages) |
 * | ih:user:{<userId>}:usage          | hash   | quota counters: images, bytes                                  |
 * | ih:img:{<imageId>}                | hash   | the image (see ImageRecord); read once per public redirect     |
 * | ih:img:{<imageId>}:albums         | set    | the albums holding the image (so deleting it removes it from all) |
 * | ih:album:{<albumId>}              | hash   | the album (see AlbumRecord)                                   |
 * | ih:album:{<albumId>}:images       | zset   | the album's images: image id, scored by position (its order)  |
 * | ih:user:{<userId>}:albums         | zset   | the user's albums: album id, scored by createdAt (newest-first pages) |
 * | ih:share:{<sha256 of token>}     | hash   | a share link (see ShareLinkRecord); views counted here, atomically |
 * | ih:user:{<userId>}:shares         | hash   | the user's share links: link id → sha256 of token               |
 * | ih:user:{<userId>}:shares:<kind>:<targetId> | zset | the user's links to one image or album: link id, scored by createdAt |
 * | ih:rl:{<bucket>}                  | string | an abuse-limit counter (SEC-3), e.g. bucket `login-ip:<ip>`; TTL = its window |
 * | ih:ev:{<userId>}                  | channel | pub/sub: the user's image events (JSON ImageEvent), heard by their subscriptions only |
 *
 * An upload id is also the id of the image it becomes, and the storage key is `img/<imageId>`, built only from
 * that server-made id.
 */
export const redisKeys = {
  account: (usernameKey: string) => `ih:acct:{${usernameKey}}`,
  credential: (secretHash: string) => `ih:cred:{${secretHash}}`,
  userApiKeys: (userId: string) => `ih:user:{${userId}}:keys`,
  userSessions: (userId: string) => `ih:user:{${userId}}:sessions`,
  userProfile: (userId: string) => `ih:user:{${userId}}:profile`,
  users: () => "ih:users",
  deletingUsers: () => "ih:users:deleting",
  invite: (codeHash: string) => `ih:invite:{${codeHash}}`,
  invites: () => "ih:invites",
  ticket: (userId: string, uploadId: string) => `ih:user:{${userId}}:ticket:${uploadId}`,
  userTickets: (userId: string) => `ih:user:{${userId}}:tickets`,
  completion: (userId: string, uploadId: string) => `ih:user:{${userId}}:completing:${uploadId}`,
  userImages: (userId: string) => `ih:user:{${userId}}:images`,
  userUsage: (userId: string) => `ih:user:{${userId}}:usage`,
  image: (imageId: string) => `ih:img:{${imageId}}`,
  imageAlbums: (imageId: string) => `ih:img:{${imageId}}:albums`,
  album: (albumId: string) => `ih:album:{${albumId}}`,
  albumImages: (albumId: string) => `ih:album:{${albumId}}:images`,
  userAlbums: (userId: string) => `ih:user:{${userId}}:albums`,
  shareLink: (tokenHash: string) => `ih:share:{${tokenHash}}`,
  userShareLinks: (userId: string) => `ih:user:{${userId}}:shares`,
  targetShareLinks: (userId: string, kind: string, targetId: string) =>
    `ih:user:{${userId}}:shares:${kind}:${targetId}`,
  rateLimit: (bucket: string) => `ih:rl:{${bucket}}`,
  userEvents: (userId: string) => `ih:ev:{${userId}}`,
} as const;

/** Field/value pairs for HSET. */
export function flatten(fields: Record<string, string>): string[] {
  return Object.entries(fields).flat();
}
