import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { CliError } from "../../cli/errors.js";
import { promptHidden, readStdin } from "../../cli/prompt.js";

/** A stand-in terminal: raw-mode switches are recorded, keystrokes are written into it. */
function fakeTty() {
  const input = new PassThrough() as PassThrough & {
    isTTY: boolean;
    setRawMode(mode: boolean): void;
    modes: boolean[];
  };
  input.isTTY = true;
  input.modes = [];
  input.setRawMode = (mode: boolean) => void input.modes.push(mode);
  const output = new PassThrough();
  let echoed = "";
  output.on("data", (d: Buffer) => (echoed += d.toString()));
  return { input, output, echoed: () => echoed };
}

describe("login prompts", () => {
  it("reads a hidden password: nothing echoed, backspace erases, raw mode restored", async () => {
    const tty = fakeTty();
    const answer = promptHidden(tty.input, tty.output, "Password: ");
    tty.input.write("hunter2x");
    tty.input.write("\u007f");
    tty.input.write("3 and more\r");
    expect(await answer).toBe("hunter23 and more");
    expect(tty.echoed()).toBe("Password: \n");
    expect(tty.input.modes).toEqual([true, false]);
  });

  it("Ctrl-C cancels", async () => {
    const tty = fakeTty();
    const answer = promptHidden(tty.input, tty.output, "Password: ");
    tty.input.write("abc\u0003");
    await expect(answer).rejects.toBeInstanceOf(CliError);
    expect(tty.input.modes).toEqual([true, false]);
  });

  it("refuses to prompt when stdin is not a terminal", async () => {
    const input = new PassThrough();
    await expect(promptHidden(input, new PassThrough(), "Password: ")).rejects.toMatchObject({ exitCode: 2 });
  });

  it("--password-stdin takes all of stdin minus one trailing newline", async () => {
    const input = new PassThrough();
    input.end("pass word with spaces \n");
    expect(await readStdin(input)).toBe("pass word with spaces ");
  });
});
