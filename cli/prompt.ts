import { createInterface } from "node:readline/promises";
import { StringDecoder } from "node:string_decoder";
import { CliError, ExitCode } from "./errors.js";
import { HiddenLine } from "./hidden-line.js";

type Input = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
type Output = NodeJS.WritableStream;

/** All of stdin as text, without one trailing newline (what `echo pw | imagehost login --password-stdin` sends). */
export async function readStdin(stdin: Input): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** A visible one-line answer; the question goes to stderr so stdout stays for results. */
export async function promptLine(stdin: Input, stderr: Output, question: string): Promise<string> {
  const rl = createInterface({ input: stdin, output: stderr, terminal: true });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/**
 * A hidden answer (nothing echoed) from a terminal in raw mode. Enter ends it; Backspace, Delete, the arrows,
 * Home/End edit it (see HiddenLine); Ctrl-C and Ctrl-D (on an empty line) cancel.
 */
export function promptHidden(stdin: Input, stderr: Output, question: string): Promise<string> {
  if (!stdin.isTTY || typeof stdin.setRawMode !== "function") {
    return Promise.reject(
      new CliError(ExitCode.USAGE, "Cannot ask for a password: stdin is not a terminal. Use --password-stdin."),
    );
  }
  const setRawMode = stdin.setRawMode.bind(stdin);
  // Raw (no echo) before the question appears, so nothing typed at once after it is shown.
  setRawMode(true);
  stderr.write(question);
  return new Promise<string>((resolve, reject) => {
    const line = new HiddenLine();
    // A character of several UTF-8 bytes may arrive split over two reads.
    const decoder = new StringDecoder("utf8");
    const finish = (error?: Error) => {
      stdin.off("data", onData);
      setRawMode(false);
      stdin.pause();
      stderr.write("\n");
      if (error) reject(error);
      else resolve(line.value);
    };
    const onData = (data: Buffer | string) => {
      const event = line.feed(typeof data === "string" ? data : decoder.write(data));
      if (event === "submit") finish();
      else if (event === "cancel") finish(new CliError(ExitCode.ERROR, "Cancelled."));
    };
    stdin.on("data", onData);
    stdin.resume();
  });
}
