import { defineCommand } from "../command.js";
import { usageError } from "../errors.js";
import { askCredentials, storeSession } from "./login.js";

export const register = defineCommand({
  name: "register",
  summary: "Create an account on the server and log in to it",
  usage: ["register", "register --username NAME --password-stdin"],
  description:
    "Usernames: 3-32 characters of A-Z a-z 0-9 _ . -. Passwords: 8 to 72 bytes, not a common one.\n" +
    "On a terminal it asks for both (the password twice, not echoed); scripts pass the password on stdin.",
  options: {
    username: { type: "string", short: "u" },
    "password-stdin": { type: "boolean" },
  },
  optionHelp: [
    ["-u, --username NAME", "the username to register"],
    ["--password-stdin", "read the password from stdin (the whole input, one trailing newline dropped)"],
  ],
  examples: [
    "imagehost register",
    "printf '%s\\n' \"$PASSWORD\" | imagehost register --username alice --password-stdin",
  ],
  async run(context, { values, positionals }) {
    if (positionals.length > 0) throw usageError("`imagehost register` takes no arguments; use --username NAME.");
    const { username, password } = await askCredentials(context, {
      username: values.username,
      passwordStdin: values["password-stdin"] === true,
      confirm: true,
    });
    const payload = await context.anonymousClient().register(username, password);
    await storeSession(context, payload);
    context.info(`Registered ${payload.user.username} on ${context.server}; you are logged in.`);
  },
});
