import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { badInput } from "../errors.js";
import type { HttpField, UploadTarget, UploadTargetRequest } from "../ports/blob-store.js";
import { CONTENT_TYPE_PATTERN } from "./blob-key-patterns.js";
import type { RelayTokens } from "./upload-relay-token.js";

/** The relay for PUTs of undeclared size: this server's base URL (no trailing slash) and the token signer. */
export interface S3UploadRelay {
  publicUrl: string;
  tokens: RelayTokens;
}

// SigV4 presigned URLs cannot live longer than a week.
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/**
 * How a client sends an upload's bytes to S3 (the caller has checked the key): a presigned POST whose policy pins
 * key, type and size; a presigned PUT with content type and length signed; or, for a PUT of undeclared size, the
 * relay on this server (without a relay, such a target is refused: an unsigned length would take any body S3
 * allows, 5 GB).
 */
export async function presignUploadTarget(
  client: S3Client,
  bucket: string,
  relay: S3UploadRelay | null,
  request: UploadTargetRequest,
): Promise<UploadTarget> {
  if (!CONTENT_TYPE_PATTERN.test(request.contentType)) throw badInput("Invalid content type.");
  if (!Number.isSafeInteger(request.maxBytes) || request.maxBytes < 1)
    throw badInput("maxBytes must be a positive integer.");
  const exact = request.exactBytes;
  if (exact !== null && (!Number.isSafeInteger(exact) || exact < 1 || exact > request.maxBytes))
    throw badInput("exactBytes must be null or between 1 and maxBytes.");
  const expiresIn = Math.min(MAX_PRESIGN_SECONDS, Math.floor((request.expiresAt - Date.now()) / 1000));
  if (expiresIn < 1) throw badInput("Cannot create an upload target that has already expired.");

  if (request.method === "POST") {
    const post = await createPresignedPost(client, {
      Bucket: bucket,
      Key: request.key,
      // Fields become exact-match conditions too, so the policy also pins Content-Type, key and bucket.
      Conditions: [["content-length-range", exact ?? 1, exact ?? request.maxBytes]],
      Fields: { "Content-Type": request.contentType },
      Expires: expiresIn,
    });
    return {
      method: "POST",
      url: post.url,
      headers: [],
      fields: Object.entries(post.fields).map(([name, value]) => ({ name, value })),
    };
  }

  if (exact === null) return relayTarget(relay, request);
  const command = new PutObjectCommand({
    Bucket: bucket,
    Key: request.key,
    ContentType: request.contentType,
    ContentLength: exact,
  });
  // The presigner leaves content-type unsigned unless named here; S3 then rejects any other type or length.
  const signableHeaders = new Set(["content-type", "content-length"]);
  const url = await getSignedUrl(client, command, { expiresIn, signableHeaders });
  const headers: HttpField[] = [
    { name: "Content-Type", value: request.contentType },
    { name: "Content-Length", value: String(exact) },
  ];
  return { method: "PUT", url, headers, fields: [] };
}

function relayTarget(relay: S3UploadRelay | null, request: UploadTargetRequest): UploadTarget {
  if (relay === null) throw badInput("Declare the upload's size: this store signs only exact-length PUTs.");
  const token = relay.tokens.sign({
    key: request.key,
    contentType: request.contentType,
    maxBytes: request.maxBytes,
    expiresAt: request.expiresAt,
  });
  return {
    method: "PUT",
    url: `${relay.publicUrl}/uploads/s3/${token}`,
    headers: [{ name: "Content-Type", value: request.contentType }],
    fields: [],
  };
}
