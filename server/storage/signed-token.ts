import { createHmac, timingSafeEqual } from "node:crypto";

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,2048}\.[A-Za-z0-9_-]{43}$/;

/**
 * The envelope of our signed upload URLs: a JSON array of fields, base64url, then an HMAC-SHA256 of it with the
 * node's upload signing secret (so every node sharing UPLOAD_SIGNING_SECRET accepts it). `version` leads the array;
 * `context` binds the MAC to one use, so a token of one kind is never accepted as another made with the same secret.
 */
export class SignedTokenCodec {
  constructor(
    private readonly secret: Buffer,
    private readonly version: string,
    private readonly context: string,
  ) {
    if (secret.length < 32) throw new Error("The upload signing secret must be at least 32 bytes");
  }

  seal(fields: readonly unknown[]): string {
    const payload = Buffer.from(JSON.stringify([this.version, ...fields]), "utf8").toString("base64url");
    return `${payload}.${this.mac(payload).toString("base64url")}`;
  }

  /** The fields of a token `seal` made with this secret, version and context; null for anything else. */
  open(token: string): unknown[] | null {
    if (!TOKEN_PATTERN.test(token)) return null;
    const [payload = "", mac = ""] = token.split(".");
    const expected = this.mac(payload);
    const given = Buffer.from(mac, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      return null;
    }
    if (!Array.isArray(decoded) || decoded[0] !== this.version) return null;
    return decoded.slice(1);
  }

  private mac(payload: string): Buffer {
    return createHmac("sha256", this.secret).update(this.context).update(payload).digest();
  }
}
