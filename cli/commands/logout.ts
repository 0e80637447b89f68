import { ImageHostError } from "../../client/errors.js";
import { defineCommand, expectPositionals } from "../command.js";
import { CliError, ExitCode } from "../errors.js";

export const logout = defineCommand({
  name: "logout",
  summary: "Revoke the stored session on the server and forget it",
  usage: ["logout"],
  description:
    "The credential is revoked on the server first; if the server cannot be reached it is kept, so you can retry.\n" +
    "A credential the server no longer accepts is simply forgotten.",
  options: {},
  examples: ["imagehost logout"],
  async run(context, { positionals }) {
    expectPositionals("logout", positionals, []);
    const stored = context.settings.config.credentials[context.server];
    if (!stored) throw new CliError(ExitCode.AUTH, `Not logged in to ${context.server}.`);
    try {
      await context.anonymousClient().withCredential(stored.apiKey).logout();
    } catch (error) {
      if (!(error instanceof ImageHostError && error.code === "UNAUTHENTICATED")) throw error;
    }
    await context.forgetCredential();
    context.info(`Logged out of ${context.server}.`);
    if (context.json) context.printJson({ server: context.server, loggedOut: true });
  },
});
