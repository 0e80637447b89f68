import { defineCommand, expectPositionals } from "../command.js";
import { CliError, ExitCode } from "../errors.js";

export const whoami = defineCommand({
  name: "whoami",
  summary: "Print the username the stored credential belongs to",
  usage: ["whoami"],
  description: "Exits 3 when not logged in, or when the credential is invalid, revoked or expired.",
  options: {},
  examples: ["imagehost whoami", "imagehost whoami --json"],
  async run(context, { positionals }) {
    expectPositionals("whoami", positionals, []);
    const user = await context.authenticatedClient().me();
    // null only when no credential was sent, which authenticatedClient rules out.
    if (user === null) throw new CliError(ExitCode.AUTH, `Not logged in to ${context.server}.`);
    if (context.json) context.printJson({ server: context.server, ...user });
    else context.print(user.username);
  },
});
