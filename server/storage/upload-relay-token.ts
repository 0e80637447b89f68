import { badInput } from "../errors.js";
import { SignedTokenCodec } from "./signed-token.js";

/** What a relay upload URL allows: one key, one type, at most `maxBytes`, until `expiresAt` (ms since epoch). */
export interface RelayClaims {
  key: string;
  contentType: string;
  /** Bytes. */
  maxBytes: number;
  expiresAt: number;
}

const TOKEN_VERSION = "r1";
// Binds the HMAC to this one use: a local upload token (same secret) is not a relay token, nor the reverse.
const TOKEN_CONTEXT = "imagehost/s3-upload-relay\n";

/**
 * Signs and checks the tokens of relay upload URLs (`/uploads/s3/<token>`): HMAC-SHA256 over the claims with the
 * node's upload signing secret, so every node sharing UPLOAD_SIGNING_SECRET accepts them.
 */
export class RelayTokens {
  private readonly codec: SignedTokenCodec;

  constructor(secret: Buffer) {
    this.codec = new SignedTokenCodec(secret, TOKEN_VERSION, TOKEN_CONTEXT);
  }

  sign(claims: RelayClaims): string {
    return this.codec.seal([claims.key, claims.contentType, claims.maxBytes, claims.expiresAt]);
  }

  /** The claims of a token `sign` made; throws BAD_USER_INPUT when forged, damaged or expired. */
  verify(token: string, now: number = Date.now()): RelayClaims {
    const invalid = () => badInput("This upload URL is not valid; request a new upload.");
    const fields = this.codec.open(token);
    if (fields === null || fields.length !== 4) throw invalid();
    const [key, contentType, maxBytes, expiresAt] = fields;
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
}
