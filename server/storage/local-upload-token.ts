import { badInput } from "../errors.js";
import { CONTENT_TYPE_PATTERN, KEY_PATTERN } from "./blob-key-patterns.js";
import { SignedTokenCodec } from "./signed-token.js";

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

const TOKEN_VERSION = "u1";
// Binds the HMAC to this one use, should the secret ever be reused for something else.
const TOKEN_CONTEXT = "imagehost/local-upload\n";

/**
 * Signs and checks the tokens of local upload URLs (`/uploads/<token>`): HMAC-SHA256 over the claims with the
 * node's upload signing secret, so every node sharing UPLOAD_SIGNING_SECRET accepts them.
 */
export class LocalUploadTokens {
  private readonly codec: SignedTokenCodec;

  constructor(secret: Buffer) {
    this.codec = new SignedTokenCodec(secret, TOKEN_VERSION, TOKEN_CONTEXT);
  }

  sign(claims: UploadClaims): string {
    return this.codec.seal([claims.key, claims.contentType, claims.maxBytes, claims.exactBytes, claims.expiresAt]);
  }

  /** The claims of a token `sign` made; throws BAD_USER_INPUT when forged, damaged or expired. */
  verify(token: string, now: number = Date.now()): UploadClaims {
    const invalid = () => badInput("This upload URL is not valid; request a new upload.");
    const fields = this.codec.open(token);
    if (fields === null || fields.length !== 5) throw invalid();
    const [key, contentType, maxBytes, exactBytes, expiresAt] = fields;
    const claims = { key, contentType, maxBytes, exactBytes, expiresAt } as UploadClaims;
    if (claimsProblem(claims) !== null) throw invalid();
    if (now > claims.expiresAt) throw badInput("This upload URL has expired; request a new upload.");
    return claims;
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
