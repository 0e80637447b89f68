import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { SignatureV4 } from "@smithy/signature-v4";

/** A key of the store's own shape (KEY_PATTERN), only ever signed, never fetched: it fixes the URL's layout. */
const PROBE_KEY = "probe/layout";

/** What the SDK's URL for PROBE_KEY says about every key's URL: where keys go, and who signs them how. */
interface UrlLayout {
  /** The URL up to the key: `http://127.0.0.1:9000/bucket/` (path style), `https://b.s3.eu-west-1.amazonaws.com/`. */
  readonly prefix: URL;
  readonly signer: SignatureV4;
}

/**
 * Presigned GETs (`downloadUrl`) signed straight with the SDK's SigV4 signer, instead of through `getSignedUrl`,
 * which builds and runs the client's whole middleware stack and evaluates the endpoint rule set for every URL:
 * about 250 us of CPU and 215 KB of garbage per URL against 22 us and 20 KB (docs/benchmarks.md). A cold public
 * link signs once per image, so a busy server filling its caches signed thousands at once, and their garbage was
 * still there, promoted to the old generation, long after (the s3 server's memory under the redirect load).
 *
 * Where the URL goes (endpoint, path or virtual-host style, signing region and service) stays the SDK's decision:
 * on first use the SDK signs PROBE_KEY, the layout is read off its URL, and this signer must produce the very same
 * URL for the same instant; if it does not (an endpoint or auth scheme this does not know), every URL comes from
 * the SDK as before. Keys match KEY_PATTERN (letters, digits, `_`, `-`, one `/`): they need no escaping in a path.
 */
export class S3DownloadSigner {
  /** The layout once the SDK's probe matched, null if it did not (the SDK signs); pending while it is checked. */
  private layout: Promise<UrlLayout | null> | null = null;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  /**
   * A presigned GET of `key`, and until when it works (epoch ms): `expiresIn` seconds from now, or less when the
   * credentials it is signed with (temporary ones: an instance role, SSO) expire sooner, since the store refuses a
   * URL whose credentials have expired.
   */
  async sign(key: string, contentType: string, expiresIn: number): Promise<{ url: string; expiresAt: number }> {
    // The instant the URL is signed for, in whole seconds as SigV4 writes it: it works until exactly now + expiresIn.
    const now = Math.floor(Date.now() / 1000) * 1000;
    this.layout ??= this.learnLayout(new Date(now)).catch((error: unknown) => {
      this.layout = null; // a failure (credentials unreachable...) is not kept: the next URL tries again
      throw error;
    });
    const layout = await this.layout;
    // The SDK's provider keeps one identity until shortly before it expires: the signer below gets the same one.
    const { expiration } = await this.client.config.credentials();
    const url = await (layout === null
      ? this.sdkUrl(key, contentType, expiresIn, new Date(now))
      : signDirect(layout, key, contentType, expiresIn, new Date(now)));
    return { url, expiresAt: Math.min(now + expiresIn * 1000, expiration?.getTime() ?? Number.POSITIVE_INFINITY) };
  }

  private sdkUrl(key: string, contentType: string, expiresIn: number, signingDate: Date): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentType: contentType });
    return getSignedUrl(this.client, command, { expiresIn, signingDate });
  }

  /** `instant`: in whole seconds, so the SDK's URL and ours name the same one. */
  private async learnLayout(instant: Date): Promise<UrlLayout | null> {
    const sdk = await this.sdkUrl(PROBE_KEY, "image/png", 60, instant);
    const url = new URL(sdk);
    const [, , region, service] = (url.searchParams.get("X-Amz-Credential") ?? "").split("/");
    const path = url.origin + url.pathname;
    if (url.searchParams.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256" || !region || !service) return null;
    if (!path.endsWith(`/${PROBE_KEY}`)) return null;
    const { credentials, sha256 } = this.client.config;
    const signer = new SignatureV4({
      credentials,
      region,
      service,
      sha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
    const layout = { prefix: new URL(path.slice(0, -PROBE_KEY.length)), signer };
    return (await signDirect(layout, PROBE_KEY, "image/png", 60, instant)) === sdk ? layout : null;
  }
}

async function signDirect(
  layout: UrlLayout,
  key: string,
  contentType: string,
  expiresIn: number,
  signingDate: Date,
): Promise<string> {
  const { prefix, signer } = layout;
  const signed = await signer.presign(
    {
      method: "GET",
      protocol: prefix.protocol,
      hostname: prefix.hostname,
      path: prefix.pathname + key,
      // As the SDK's presigner: the payload is not signed (the signer hoists this header into the query).
      headers: { host: prefix.host, "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD" },
      query: { "response-content-type": contentType, "x-id": "GetObject" },
    },
    { expiresIn, signingDate },
  );
  // As the SDK writes a query: keys sorted, RFC 3986 escaping.
  const query = Object.entries(signed.query as Record<string, string>)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${escapeUri(name)}=${escapeUri(value)}`)
    .join("&");
  return `${prefix.href}${key}?${query}`;
}

function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
