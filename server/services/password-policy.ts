import { createRequire } from "node:module";
import { badInput } from "../errors.js";

const COMMON_PASSWORD_COUNT = 1000;
let commonPasswords: ReadonlySet<string> | null = null;

/**
 * SEC-1's "1,000 most common passwords": the head of zxcvbn's frequency-ordered list, taken on first use. The
 * package builds every dictionary it ships when loaded (about 7 MB of heap, issue 16), so it is loaded with
 * require, the list copied, and every module that require loaded dropped from require's cache for the rest to be
 * collected: all of them, not only the package's own, because a module left cached keeps its parent, and the
 * parent its children (the dictionaries).
 */
function isCommonPassword(password: string): boolean {
  if (commonPasswords === null) {
    const require = createRequire(import.meta.url);
    const cachedBefore = new Set(Object.keys(require.cache));
    const { dictionary } = require("@zxcvbn-ts/language-common") as { dictionary: Record<string, string[]> };
    const list = dictionary["passwords-common"] ?? [];
    if (list.length < COMMON_PASSWORD_COUNT) throw new Error("@zxcvbn-ts/language-common: no common-password list");
    commonPasswords = new Set(list.slice(0, COMMON_PASSWORD_COUNT).map((p) => p.toLowerCase()));
    for (const loaded of Object.keys(require.cache)) if (!cachedBefore.has(loaded)) delete require.cache[loaded];
  }
  return commonPasswords.has(password.toLowerCase());
}

const PASSWORD_MIN_BYTES = 8;
/** bcrypt ignores everything after 72 bytes; longer passwords are refused rather than silently truncated. */
const PASSWORD_MAX_BYTES = 72;
const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;

export interface NormalizedUsername {
  /** As shown. */
  display: string;
  /** Case-folded: the unique key. */
  key: string;
}

/** SEC-1: NFKC, then 3–32 of `[A-Za-z0-9_.-]`; compared case-insensitively. Throws BAD_USER_INPUT. */
export function normalizeUsername(raw: string): NormalizedUsername {
  const display = raw.normalize("NFKC");
  if (!USERNAME_PATTERN.test(display)) {
    throw badInput("Username must be 3 to 32 characters of letters, digits, '_', '.' or '-'.", { field: "username" });
  }
  return { display, key: display.toLowerCase() };
}

/** NFKC, so the same password typed on different keyboards or input methods is the same bytes. */
export function normalizePassword(raw: string): string {
  return raw.normalize("NFKC");
}

/** SEC-1 rules for a new password. Throws BAD_USER_INPUT with a message that says which rule failed. */
export function assertAcceptablePassword(password: string): void {
  const bytes = Buffer.byteLength(password, "utf8");
  if (bytes < PASSWORD_MIN_BYTES)
    throw badInput(`Password must be at least ${PASSWORD_MIN_BYTES} bytes long.`, { field: "password" });
  if (bytes > PASSWORD_MAX_BYTES)
    throw badInput(`Password must be at most ${PASSWORD_MAX_BYTES} bytes long (UTF-8).`, { field: "password" });
  // The bcrypt binding stops at a NUL byte, which would silently shorten the password.
  if (password.includes("\u0000")) throw badInput("Password must not contain NUL characters.", { field: "password" });
  if (isCommonPassword(password)) {
    throw badInput("This password is among the most common ones; choose another.", { field: "password" });
  }
}

/** A password that could be valid at login; anything else cannot match a stored hash. */
export function couldBeValidPassword(password: string): boolean {
  const bytes = Buffer.byteLength(password, "utf8");
  return bytes >= PASSWORD_MIN_BYTES && bytes <= PASSWORD_MAX_BYTES && !password.includes("\u0000");
}
