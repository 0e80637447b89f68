import type { CredentialRecord } from "../ports/metadata-store.js";
import type { IssuedCredential } from "../services/account.service.js";
import { ApiKey } from "./types/api-key.type.js";
import { AuthPayload } from "./types/auth-payload.type.js";
import { User } from "./types/user.type.js";

const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

export function toUser(userId: string, username: string): User {
  return Object.assign(new User(), { id: userId, username });
}

export function toAuthPayload(issued: IssuedCredential): AuthPayload {
  return Object.assign(new AuthPayload(), {
    apiKey: issued.secret,
    user: toUser(issued.record.userId, issued.record.username),
  });
}

export function toApiKey(record: CredentialRecord): ApiKey {
  return Object.assign(new ApiKey(), {
    id: record.id,
    name: record.name,
    createdAt: new Date(record.createdAt),
    lastUsedAt: toDate(record.lastUsedAt),
    expiresAt: toDate(record.expiresAt),
  });
}
