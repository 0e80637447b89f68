import { execFile } from "node:child_process";
import { copyFile, mkdtemp, appendFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const check = (schemaFile: string) =>
  promisify(execFile)(
    process.execPath,
    [path.join(root, "node_modules/tsx/dist/cli.mjs"), "scripts/emit-schema.ts", "--check"],
    {
      cwd: root,
      env: { ...process.env, SCHEMA_FILE: schemaFile },
    },
  );

/** `npm run check:codegen`'s schema half: the committed schema.graphql must be what the classes emit. */
describe("schema.graphql check", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ih-schema-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("passes for the committed schema", async () => {
    const { stderr } = await check(path.join(root, "schema.graphql"));
    expect(stderr).toContain("up to date");
  });

  it("fails, saying what to run, when the file differs from the classes", async () => {
    const stale = path.join(dir, "schema.graphql");
    await copyFile(path.join(root, "schema.graphql"), stale);
    await appendFile(stale, "type Stale { id: ID }\n");
    await expect(check(stale)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("npm run schema:emit"),
    });
  });
});
