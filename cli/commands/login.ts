import type { AuthPayload } from "../../client/image-host-client.js";
import { defineCommand } from "../command.js";
import type { Context } from "../context.js";
import { isImageHostError } from "../../client/errors.js";
import { CliError, ExitCode, usageError } from "../errors.js";
import { promptHidden, promptLine, readStdin } from "../prompt.js";

export const login = defineCommand({
  name: "login",
  summary: "Log in and store a session credential for the server",
  usage: ["login", "login --username NAME --password-stdin"],
  description:
    "On a terminal it asks for the username and the password (not echoed). Scripts pass the username as a flag and\n" +
    "the password on stdin. The credential is stored in $XDG_CONFIG_HOME/imagehost/config.json (mode 0600) for this\n" +
    "server only, and this server becomes the default.",
  options: {
    username: { type: "string", short: "u" },
    "password-stdin": { type: "boolean" },
  },
  optionHelp: [
    ["-u, --username NAME", "the account's username"],
    ["--password-stdin", "read the password from stdin (the whole input, one trailing newline dropped)"],
  ],
  examples: ["imagehost login", "printf '%s\\n' \"$PASSWORD\" | imagehost login --username alice --password-stdin"],
  async run(context, { values, positionals }) {
    if (positionals.length > 0) throw usageError("`imagehost login` takes no arguments; use --username NAME.");
    const { username, password } = await askCredentials(context, {
      username: values.username,
      passwordStdin: values["password-stdin"] === true,
    });
    const payload = await context
      .anonymousClient()
      .login(username, password)
      .catch((error: unknown) => {
        // The server's own words ("Invalid username or password."), not the stored-credential hint.
        if (isImageHostError(error, "UNAUTHENTICATED")) throw new CliError(ExitCode.AUTH, error.message);
        throw error;
      });
    await storeSession(context, payload);
    context.info(`Logged in to ${context.server} as ${payload.user.username}.`);
  },
});

/** Username and password from flags and stdin, or asked for on a terminal (`confirm`: ask the password twice). */
export async function askCredentials(
  context: Context,
  options: { username: string | undefined; passwordStdin: boolean; confirm?: boolean },
): Promise<{ username: string; password: string }> {
  const { stdin, stderr } = context.io;
  if (options.passwordStdin) {
    if (options.username === undefined) throw usageError("--password-stdin needs --username NAME.");
    const password = await readStdin(stdin);
    if (password === "") throw usageError("No password on stdin.");
    return { username: options.username, password };
  }
  if (!stdin.isTTY)
    throw usageError("stdin is not a terminal: pass --username NAME --password-stdin and the password on stdin.");
  const username = options.username ?? (await promptLine(stdin, stderr, "Username: "));
  if (username === "") throw usageError("A username is required.");
  const password = await promptHidden(stdin, stderr, "Password: ");
  if (options.confirm) {
    const again = await promptHidden(stdin, stderr, "Password (again): ");
    if (again !== password) throw usageError("The passwords do not match.");
  }
  return { username, password };
}

/**
 * Saves the new session for this server. The session it replaces (if any) is revoked first, best effort, so
 * logging in again does not leave a live credential nobody knows about.
 */
export async function storeSession(context: Context, payload: AuthPayload): Promise<void> {
  const previous = context.settings.config.credentials[context.server];
  if (previous && previous.apiKey !== payload.apiKey) {
    await context
      .anonymousClient()
      .withCredential(previous.apiKey)
      .logout()
      .catch(() => undefined);
  }
  await context.saveCredential(payload.user.username, payload.apiKey);
  if (context.json) context.printJson({ server: context.server, user: payload.user });
}
