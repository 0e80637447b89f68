import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.js";
import { errorCode, gql, uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { fetchPublic, uploadImage } from "../support/uploads.js";

const PASSWORD = "amber-kettle-orbit-52";

describe("imagehost account delete", () => {
  let server: TestApp;
  let home: string;
  beforeAll(async () => {
    server = await startTestApp();
    home = await mkdtemp(path.join(os.tmpdir(), "ih-cli-account-"));
  });
  afterAll(async () => {
    await server?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });
  const cli = (args: string[], input = "") =>
    runCli(args, { env: { XDG_CONFIG_HOME: home, IMAGEHOST_URL: server.baseUrl }, input });

  it("asks for the password (stdin with --yes in scripts), deletes everything and forgets the credential", async () => {
    const username = uniqueUsername("cliacct");
    expect((await cli(["register", "--username", username, "--password-stdin"], `${PASSWORD}\n`)).code).toBe(0);
    const login = await gql<{ login: { apiKey: string } }>(
      server.baseUrl,
      `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { apiKey } }`,
      { u: username, p: PASSWORD },
    );
    const key = login.data!.login.apiKey;
    const image = await uploadImage(server.baseUrl, key, await makeImage("png"), "image/png");

    const noYes = await cli(["account", "delete", "--password-stdin"], `${PASSWORD}\n`);
    expect(noYes.code).toBe(2);
    const wrong = await cli(["account", "delete", "--password-stdin", "--yes"], "wrong-password-9\n");
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/current password is wrong/);
    expect((await fetchPublic(image.url)).status).toBe(200);

    const deleted = await cli(["account", "delete", "--password-stdin", "--yes"], `${PASSWORD}\n`);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stderr).toContain(`Deleted ${username}`);
    expect((await fetchPublic(image.url)).status).toBe(404);
    expect(errorCode(await gql(server.baseUrl, `{ me { id } }`, {}, key))).toBe("UNAUTHENTICATED");
    expect((await cli(["whoami"])).code).toBe(3);
  });
});
