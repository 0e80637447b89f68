import { defineCommand } from "../command.js";
import type { Context } from "../context.js";
import { usageError } from "../errors.js";
import { promptHidden, promptLine, readStdin } from "../prompt.js";

export const account = defineCommand({
  name: "account",
  summary: "Delete your account and everything of it",
  usage: ["account delete", "account delete --password-stdin --yes"],
  description:
    "Deletes the account you are logged in as: every image (and its bytes), album, share link, API key and\n" +
    "session. It cannot be undone. On a terminal it asks for your password and for the username as confirmation;\n" +
    "scripts pass the password on stdin and --yes.",
  options: {
    "password-stdin": { type: "boolean" },
    yes: { type: "boolean" },
  },
  optionHelp: [
    ["--password-stdin", "read the password from stdin (the whole input, one trailing newline dropped)"],
    ["--yes", "do not ask to type the username (needed with --password-stdin)"],
  ],
  examples: [
    "imagehost account delete",
    "printf '%s\\n' \"$PASSWORD\" | imagehost account delete --password-stdin --yes",
  ],
  async run(context, { values, positionals }) {
    const [sub, ...rest] = positionals;
    if (sub !== "delete" || rest.length > 0) throw usageError("Usage: imagehost account delete");
    await deleteAccount(context, values["password-stdin"] === true, values.yes === true);
  },
});

async function deleteAccount(context: Context, passwordStdin: boolean, yes: boolean): Promise<void> {
  const { stdin, stderr } = context.io;
  const client = context.authenticatedClient();
  const me = await client.me();
  if (!me) throw usageError("Not logged in.");
  let password: string;
  if (passwordStdin) {
    if (!yes) throw usageError("--password-stdin needs --yes: nothing can be undone after this.");
    password = await readStdin(stdin);
  } else {
    if (!stdin.isTTY)
      throw usageError("stdin is not a terminal: pass --password-stdin --yes and the password on stdin.");
    if (!yes) {
      const typed = await promptLine(
        stdin,
        stderr,
        `This deletes ${me.username} and all its images. Type the username to confirm: `,
      );
      if (typed !== me.username) throw usageError("The username did not match; nothing was deleted.");
    }
    password = await promptHidden(stdin, stderr, "Password: ");
  }
  if (password === "") throw usageError("A password is required.");
  await client.deleteAccount(password);
  await context.forgetCredential();
  if (context.json) context.printJson({ server: context.server, username: me.username, deleted: true });
  context.info(`Deleted ${me.username} and everything of it on ${context.server}.`);
}
