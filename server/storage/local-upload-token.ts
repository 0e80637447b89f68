import { createHmac, timingSafeEqual } from "node:crypto";
import { badInput } from "../errors.js";
import { CONTENT_TYPE_PATTERN, KEY_PATTERN } from "./blob-key-patterns.js";

/** What a signed local upload URL allows. */
export interface UploadClaims {
  key: string;
  contentType: string;
  /** Bytes. */
  maxBytes: number;
  /** Bytes; null when the client did not declare a size. */
  exactBytes: number | null;
  /** Milliseconds since epoch. */
  expiresAt: number;
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,2048}\.[A-Za-z0-9_-]{43}$/;
const TOKEN_VERSION = "u1";
// Binds the HMAC to this one use, should the secret ever be reused for something else.
const TOKEN_CONTEXT = "imagehost/local-upload\n";

/**
 * Signs and checks the tokens of local upload URLs (`/uploads/<token>`): HMAC-SHA256 over the claims with the
 * node's upload signing secret, so every node sharing UPLOAD_SIGNING_SECRET accepts them.
 */
export class LocalUploadTokens {
  constructor(private readonly secret: Buffer) {
    if (secret.length < 32) throw new Error("LocalBlobStore: signingSecret must be at least 32 bytes");
  }

  sign(claims: UploadClaims): string {
    const body = [TOKEN_VERSION, claims.key, claims.contentType, claims.maxBytes, claims.exactBytes, claims.expiresAt];
    const payload = Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
    return `${payload}.${this.mac(payload).toString("base64url")}`;
  }

  /** The claims of a token `sign` made; throws BAD_USER_INPUT when forged, damaged or expired. */
  verify(token: string, now: number = Date.now()): UploadClaims {
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
    if (!Array.isArray(decoded) || decoded.length !== 6 || decoded[0] !== TOKEN_VERSION) throw invalid();
    const [, key, contentType, maxBytes, exactBytes, expiresAt] = decoded as unknown[];
    const claims = { key, contentType, maxBytes, exactBytes, expiresAt } as UploadClaims;
    if (claimsProblem(claims) !== null) throw invalid();
    if (now > claims.expiresAt) throw badInput("This upload URL has expired; request a new upload.");
    return claims;
  }

  private mac(payload: string): Buffer {
    return createHmac("sha256", this.secret).update(TOKEN_CONTEXT).update(payload).digest();
  }
}

/** Why `claims` are not acceptable, or null when they are. */
export function claimsProblem(claims: UploadClaims): string | null {
  if (typeof claims.key !== "string" || !KEY_PATTERN.test(claims.key)) return "invalid storage key";
  if (typeof claims.contentType !== "string" || !CONTENT_TYPE_PATTERN.test(claims.contentType))
    return "invalid content type";
  if (!Number.isSafeInteger(claims.maxBytes) || claims.maxBytes < 1) return "maxBytes must be a positive integer";
  if (
    claims.exactBytes !== null &&
    (!Number.isSafeInteger(claims.exactBytes) || claims.exactBytes < 1 || claims.exactBytes > claims.maxBytes)
  )
    return "exactBytes must be null or between 1 and maxBytes";
  if (!Number.isSafeInteger(claims.expiresAt)) return "expiresAt must be milliseconds since epoch";
  return null;
}
