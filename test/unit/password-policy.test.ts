import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AppError } from "../../server/errors.js";
import { assertAcceptablePassword } from "../../server/services/password-policy.js";

const refusal = (password: string) => {
  try {
    assertAcceptablePassword(password);
    return null;
  } catch (error) {
    return error instanceof AppError ? error.message : String(error);
  }
};

/** SEC-1's common-password rule, and the memory it must not keep (issue 16). */
describe("common passwords", () => {
  it("refuses the most common passwords whatever their case, and accepts others", () => {
    for (const common of ["password", "12345678", "iloveyou", "Sunshine", "FOOTBALL", "password123"])
      expect(refusal(common), common).toMatch(/most common/);
    for (const fine of ["amber-kettle-grove-3", "correct horse battery staple"]) expect(refusal(fine)).toBeNull();
  });

  it("keeps only the list it needs: nothing cached still leads to the dictionary package once the list is taken", () => {
    expect(refusal("password")).toMatch(/most common/);
    const require = createRequire(import.meta.url);
    const packageDir = path.dirname(require.resolve("@zxcvbn-ts/language-common"));
    const cached = Object.values(require.cache).filter((loaded) => loaded !== undefined);
    expect(cached.map((loaded) => loaded.filename).filter((file) => file.startsWith(packageDir))).toEqual([]);
    // A module left in the cache keeps its parent and the parent its children: either way the dictionaries would
    // stay in memory (the helper package it loads used to be left behind, holding them all).
    // (filename is null on the stand-in parent that createRequire makes.)
    const linked = cached.flatMap((loaded) => [loaded.parent, ...loaded.children]);
    const intoPackage = linked.filter((module) => String(module?.filename).startsWith(packageDir));
    expect(intoPackage.map((module) => module?.id)).toEqual([]);
  });
});
