import type { HttpField } from "../../server/ports/blob-store.js";

/** Reading what the S3 adapter presigned, for tests that check what S3 will insist on. */

/** The headers a presigned URL signs (`X-Amz-SignedHeaders`), lowercase; what S3 will insist on. */
export function signedHeadersOf(presignedUrl: string): string[] {
  const value = new URL(presignedUrl).searchParams.get("X-Amz-SignedHeaders");
  return value === null ? [] : value.split(";").filter(Boolean);
}

/** The instant a presigned URL was signed for (its `X-Amz-Date`, e.g. `20261207T104608Z`). */
export function signingInstantOf(presignedUrl: string): Date {
  const stamp = new URL(presignedUrl).searchParams.get("X-Amz-Date") ?? "";
  const iso = stamp.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z");
  if (iso === stamp) throw new Error(`Not a SigV4 presigned URL: ${presignedUrl}`);
  return new Date(iso);
}

/** The policy document a presigned POST carries in its `Policy` field (base64 JSON). */
export function decodePostPolicy(fields: readonly HttpField[]): { expiration: string; conditions: unknown[] } {
  const policy = fields.find((field) => field.name === "Policy");
  if (policy === undefined) throw new Error("The POST fields carry no Policy.");
  return JSON.parse(Buffer.from(policy.value, "base64").toString("utf8")) as {
    expiration: string;
    conditions: unknown[];
  };
}
