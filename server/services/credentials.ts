import { createHash, randomBytes } from "node:crypto";

/** Every secret we hand out starts with this, so leaked keys are easy to recognise and scan for (SEC-4). */
const SECRET_PREFIX = "ih_";
const SECRET_PATTERN = /^ih_[A-Za-z0-9_-]{43}$/;

/** A new secret: 256 random bits after the prefix. */
export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64url");
}

/** True when `value` has the shape of one of our secrets; anything else is rejected without a store lookup. */
export function isWellFormedSecret(value: string): boolean {
  return SECRET_PATTERN.test(value);
}

/** What the store keeps instead of the secret. Unsalted is fine: the secret itself has 256 random bits. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/**
 * A public, unguessable identifier (96 bits) for users, keys and images. Safe in Redis hash tags and paths. Never
 * starts with "-", so that a command line (`imagehost rm <id>`) cannot mistake it for an option.
 */
export function newId(): string {
  for (;;) {
    const id = randomBytes(12).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/** True for ids `newId` could have made; anything else (paths, very long, non-ASCII) is rejected unread (SEC-12). */
export function isWellFormedId(value: string): boolean {
  return /^[A-Za-z0-9_-]{16}$/.test(value);
}
