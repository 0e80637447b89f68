import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The local store's crash safety is the order of its system calls, which no test inside the process can see: a
 * power cut keeps only what was fsynced. test/support/local-blob-writes-probe.ts writes and promotes one upload
 * and makes the upload signing key under strace, and the trace must show every name made durable after it was
 * made, and bytes before their name.
 */
const probe = fileURLToPath(new URL("../support/local-blob-writes-probe.ts", import.meta.url));
const traced = ["fsync", "link", "linkat", "rename", "renameat", "renameat2"].join(",");

let root: string;
let calls: string[];
let id: string;

beforeAll(async () => {
  // strace -y prints the real paths of descriptors; a temp dir behind a symlink would not match.
  root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "imagehost-durability-")));
  const traceFile = path.join(root, "trace");
  const { stdout } = await promisify(execFile)("strace", [
    ...["-f", "-qq", "-y", "-s", "1000", "-e", `trace=${traced}`, "-o", traceFile],
    ...[process.execPath, "--import", "tsx", probe, root],
  ]);
  id = stdout;
  // A call that blocks in one thread while another runs is split in two lines; its first line has the arguments.
  calls = (await fs.readFile(traceFile, "utf8")).split("\n").filter((line) => !line.includes("resumed>"));
});
afterAll(async () => {
  if (root) await fs.rm(root, { recursive: true, force: true });
});

/** The index of the first traced call matching `pattern`; fails the test when there is none. */
function indexOf(pattern: RegExp): number {
  const index = calls.findIndex((line) => pattern.test(line));
  expect(index, `no system call matches ${pattern}`).toBeGreaterThanOrEqual(0);
  return index;
}

const quoted = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("local storage: what survives a power cut", () => {
  it("fsyncs an upload's bytes before linking its name, and the directory after", () => {
    const up = `${root}/up`;
    const fileSync = indexOf(new RegExp(`fsync\\(\\d+<${quoted(up)}/\\.${id}\\.[0-9a-f]+\\.tmp>`));
    const link = indexOf(new RegExp(`link(at)?\\(.*"${quoted(up)}/\\.${id}\\.[0-9a-f]+\\.tmp".*"${quoted(up)}/${id}"`));
    const dirSync = indexOf(new RegExp(`fsync\\(\\d+<${quoted(up)}>\\)`));
    expect(fileSync).toBeLessThan(link);
    expect(link).toBeLessThan(dirSync);
  });

  it("makes a promoted name durable before the promotion resolves (completion records it next)", () => {
    const rename = indexOf(new RegExp(`rename(at2?)?\\(.*"${quoted(root)}/up/${id}".*"${quoted(root)}/img/${id}"`));
    const dirSync = indexOf(new RegExp(`fsync\\(\\d+<${quoted(root)}/img>\\)`));
    expect(rename).toBeLessThan(dirSync);
  });

  it("fsyncs the copied sidecar of an earlier release's upload before its bytes take their final name", () => {
    const img = `${root}/img`;
    const sidecarSync = indexOf(new RegExp(`fsync\\(\\d+<${quoted(img)}/${id}-legacy\\.meta\\.json>`));
    const rename = indexOf(
      new RegExp(`rename(at2?)?\\(.*"${quoted(root)}/up/${id}-legacy".*"${quoted(img)}/${id}-legacy"`),
    );
    const dirSync = calls.findLastIndex((line) => line.includes(`<${img}>)`));
    expect(sidecarSync).toBeLessThan(rename);
    expect(rename).toBeLessThan(dirSync);
  });

  it("makes the upload signing key's name durable, not only its bytes", () => {
    const secrets = `${root}/data/secrets`;
    const fileSync = indexOf(new RegExp(`fsync\\(\\d+<${quoted(secrets)}/\\.upload-signing\\.key\\.[^>]*\\.tmp>`));
    const link = indexOf(new RegExp(`link(at)?\\(.*"${quoted(secrets)}/upload-signing\\.key"`));
    const dirSync = indexOf(new RegExp(`fsync\\(\\d+<${quoted(secrets)}>\\)`));
    expect(fileSync).toBeLessThan(link);
    expect(link).toBeLessThan(dirSync);
  });
});
