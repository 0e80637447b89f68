import { spawn } from "node:child_process";
import { defineCommand, expectPositionals } from "../command.js";
import type { Context } from "../context.js";
import { CliError, ExitCode } from "../errors.js";
import { printable } from "../format.js";

export const open = defineCommand({
  name: "open",
  summary: "Print the public link of an image (and open it in a browser)",
  usage: ["open <id> [--browser]"],
  description: "Anyone with the link can see the image. No login needed: image metadata is public.",
  options: { browser: { type: "boolean", short: "b" } },
  optionHelp: [["-b, --browser", "also open the link with xdg-open (Linux), open (macOS) or start (Windows)"]],
  examples: ["imagehost open 3q2-xPZ8aHkQb0Vn", "imagehost open 3q2-xPZ8aHkQb0Vn --browser"],
  async run(context, { values, positionals }) {
    const [id] = expectPositionals("open", positionals, ["id"]);
    const image = await context.anonymousClient().image(id!);
    if (image === null) throw new CliError(ExitCode.NOT_FOUND, `No image with id ${printable(id!)}.`);
    if (context.json) context.printJson(image);
    else context.print(image.url);
    if (values.browser) await openInBrowser(context, image.url);
  },
});

/** Best effort: the link is already printed, so a missing opener is a warning, not a failure. */
async function openInBrowser(context: Context, url: string): Promise<void> {
  // The link comes from the server: hand the opener nothing but a web URL.
  const protocol = URL.canParse(url) ? new URL(url).protocol : "";
  if (protocol !== "http:" && protocol !== "https:") {
    context.warn(`not opening ${printable(url)}: not an http(s) link.`);
    return;
  }
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", '""', url]]
        : ["xdg-open", [url]];
  await new Promise<void>((resolve) => {
    const child = spawn(command, args, { stdio: "ignore", detached: true, env: context.io.env });
    child.once("error", (error) => {
      context.warn(
        `could not start ${command} (${(error as NodeJS.ErrnoException).code ?? error.message}); open the link yourself.`,
      );
      resolve();
    });
    child.once("spawn", () => {
      child.unref();
      resolve();
    });
  });
}
