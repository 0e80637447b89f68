import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Short-lived, signed permissions to see something its visibility would hide: the bytes of a private image
 * (`image`, for its owner's app and for album pages) or an album opened through a share link (`album`). A grant
 * names what it is for and when it ends; it is an HMAC under a key derived from the server's signing secret, so
 * every node sharing UPLOAD_SIGNING_SECRET accepts the others' grants and nothing has to be stored.
 */
export type GrantScope = "image" | "album";

/** How long a grant lasts. Rounded up to whole windows so a page's URLs stay the same (browser cache) for a while. */
const GRANT_TTL_MS = 15 * 60_000;
const GRANT_WINDOW_MS = 5 * 60_000;

export class AccessGrants {
  private readonly key: Buffer;

  constructor(
    signingSecret: Buffer,
    private readonly now: () => number = Date.now,
  ) {
    this.key = createHmac("sha256", signingSecret).update("imagehost access grants v1").digest();
  }

  /** A grant for `subject` (an image id, or `<albumId>:<linkId>`) valid for at least GRANT_TTL_MS. */
  issue(scope: GrantScope, subject: string): string {
    const expiresAt = Math.ceil((this.now() + GRANT_TTL_MS) / GRANT_WINDOW_MS) * GRANT_WINDOW_MS;
    return `${expiresAt.toString(36)}.${this.sign(scope, subject, expiresAt)}`;
  }

  /** True when `grant` was issued for exactly this scope and subject and has not run out. */
  verify(scope: GrantScope, subject: string, grant: string): boolean {
    const match = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(grant);
    if (!match) return false;
    const expiresAt = parseInt(match[1]!, 36);
    if (!(expiresAt > this.now())) return false;
    const expected = Buffer.from(this.sign(scope, subject, expiresAt));
    const given = Buffer.from(match[2]!);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private sign(scope: GrantScope, subject: string, expiresAt: number): string {
    return createHmac("sha256", this.key).update(`${scope}\n${subject}\n${expiresAt}`).digest("base64url");
  }
}
