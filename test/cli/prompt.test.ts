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

  // Issue 18 point 10: `abc←↑d` used to become "abc\x1b[D\x1b[Ad".
  it("editing keys edit the hidden line; other escape sequences are dropped, never typed", async () => {
    const cases: [typed: string[], expected: string][] = [
      [["abc\u001b[D\u001b[Ad\r"], "abdc"],
      // Home (three spellings), End (three), Delete, Right; a sequence split across reads.
      [["bc\u001b[Ha\u001b[F", "d\u001b[1~\u001b[3~B\u001b[4~\u001bOHx\u001bOF!\r"], "xBbcd!"],
      [["wxyz\u001b", "[", "D\u001b[D\u007f\u001b[C\u001b[8~\u001b[7~\u001b[C1\r"], "w1yz"],
      // Up/Down, F5, Alt+q, bracketed-paste markers and a modified arrow: nothing inserted.
      [["p\u001b[A\u001b[B\u001b[15~\u001bq\u001b[200~as\u001b[201~\u001b[1;5Ds\r"], "pass"],
      // Ctrl-A / Ctrl-E move, Ctrl-U erases to the start, Backspace at the start does nothing.
      [["oops\u0015\u007fok\u0001>\u0005<\r"], ">ok<"],
      [["pässwörd\u001b[D\u001b[D\u007f\r"], "pässwrd"],
    ];
    for (const [typed, expected] of cases) {
      const tty = fakeTty();
      const answer = promptHidden(tty.input, tty.output, "Password: ");
      for (const chunk of typed) tty.input.write(chunk);
      expect(await answer, JSON.stringify(typed)).toBe(expected);
      expect(tty.echoed()).toBe("Password: \n");
    }
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
