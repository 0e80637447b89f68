import { createHmac, timingSafeEqual } from "node:crypto";
import { badInput } from "../errors.js";

/** What a relay upload URL allows: one key, one type, at most `maxBytes`, until `expiresAt` (ms since epoch). */
export interface RelayClaims {
  key: string;
  contentType: string;
  /** Bytes. */
  maxBytes: number;
  expiresAt: number;
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,2048}\.[A-Za-z0-9_-]{43}$/;
const TOKEN_VERSION = "r1";
// Binds the HMAC to this one use: a local upload token (same secret) is not a relay token, nor the reverse.
const TOKEN_CONTEXT = "imagehost/s3-upload-relay\n";

/**
 * Signs and checks the tokens of relay upload URLs (`/uploads/s3/<token>`): HMAC-SHA256 over the claims with the
 * node's upload signing secret, so every node sharing UPLOAD_SIGNING_SECRET accepts them.
 */
export class RelayTokens {
  constructor(private readonly secret: Buffer) {
    if (secret.length < 32) throw new Error("RelayTokens: the signing secret must be at least 32 bytes");
  }

  sign(claims: RelayClaims): string {
    const body = [TOKEN_VERSION, claims.key, claims.contentType, claims.maxBytes, claims.expiresAt];
    const payload = Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
    return `${payload}.${this.mac(payload).toString("base64url")}`;
  }

  /** The claims of a token `sign` made; throws BAD_USER_INPUT when forged, damaged or expired. */
  verify(token: string, now: number = Date.now()): RelayClaims {
    const invalid = () => badInput("This upload URL is not valid; request a new upload.");
    if (!TOKEN_PATTERN.test(token)) throw invalid();
    const [payload = "", mac = ""] = token.split(".");
    const expected = this.mac(payload);
    const given = Buffer.from(mac, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      throw invalid();
    }
    if (!Array.isArray(decoded) || decoded.length !== 5 || decoded[0] !== TOKEN_VERSION) throw invalid();
    const [, key, contentType, maxBytes, expiresAt] = decoded as unknown[];
    if (
      typeof key !== "string" ||
      typeof contentType !== "string" ||
      !Number.isSafeInteger(maxBytes) ||
      !Number.isSafeInteger(expiresAt)
    )
      throw invalid();
    if (now > (expiresAt as number)) throw badInput("This upload URL has expired; request a new upload.");
    return { key, contentType, maxBytes: maxBytes as number, expiresAt: expiresAt as number };
  }

  private mac(payload: string): Buffer {
    return createHmac("sha256", this.secret).update(TOKEN_CONTEXT).update(payload).digest();
  }
}
