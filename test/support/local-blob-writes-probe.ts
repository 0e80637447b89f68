import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { LocalBlobStore } from "../../server/storage/local-blob-store.js";
import { loadOrCreateSigningSecret } from "../../server/storage/signing-secret.js";

/**
 * Run as a child process under strace by test/unit/local-blob-durability.test.ts: one upload written into
 * `<root>/up/<id>` the way `PUT /uploads/<token>` writes it, then promoted to `<root>/img/<id>` as completion does;
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
await loadOrCreateSigningSecret(`${root}/data`, null);
process.stdout.write(id);
