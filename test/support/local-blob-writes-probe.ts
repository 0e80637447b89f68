import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import { Readable } from "node:stream";
import { LocalBlobStore } from "../../server/storage/local-blob-store.js";
import { loadOrCreateSigningSecret } from "../../server/storage/signing-secret.js";

/**
 * Run as a child process under strace by test/unit/local-blob-durability.test.ts: one upload written into
 * `<root>/up/<id>` the way `PUT /uploads/<token>` writes it, then promoted to `<root>/img/<id>` as completion does;
 * an upload in the format of earlier releases (bytes, `.meta.json` sidecar) promoted to `<root>/img/<id>-legacy`;
 * and the upload signing key made in `<root>/data` as on a first start. Argument: the store's root. Prints the id.
 */
const root = process.argv[2] ?? "";
const store = new LocalBlobStore({ root, publicUrl: "http://127.0.0.1:1", signingSecret: randomBytes(32) });
const id = randomBytes(12).toString("base64url");
const limits = { contentType: "image/png", maxBytes: 1024, exactBytes: null };
await store.writeStream(`up/${id}`, Readable.from([randomBytes(300)]), limits);
const uploaded = await store.stat(`up/${id}`);
if (uploaded === null) throw new Error("the upload is not there");
await store.promote(`up/${id}`, `img/${id}`, uploaded.version);
const legacyBytes = randomBytes(300);
const sha256 = createHash("sha256").update(legacyBytes).digest("base64url");
await fs.writeFile(`${root}/up/${id}-legacy`, legacyBytes);
const sidecar = { v: 1, contentType: "image/png", size: legacyBytes.length, sha256 };
await fs.writeFile(`${root}/up/${id}-legacy.meta.json`, JSON.stringify(sidecar));
await store.promote(`up/${id}-legacy`, `img/${id}-legacy`, sha256);
await loadOrCreateSigningSecret(`${root}/data`, null);
process.stdout.write(id);
