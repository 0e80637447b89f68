import { WebSocket } from "ws";
import { ImageHostClient } from "../client/image-host-client.js";
import { writeConfig } from "./config-file.js";
import { type AuthHint, CliError, ExitCode } from "./errors.js";
import type { Settings } from "./settings.js";

/** The process's streams and environment, passed in so commands never reach for globals. */
export interface Io {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** What a command runs with: settings resolved once, output helpers (results → stdout, the rest → stderr). */
export class Context {
  constructor(
    readonly io: Io,
    readonly settings: Settings,
    /** `--json`: results as JSON on stdout. */
    readonly json: boolean,
  ) {}

  get server(): string {
    return this.settings.server;
  }

  get authHint(): AuthHint {
    return { server: this.settings.server, credentialSource: this.settings.credential?.source ?? null };
  }

  /** A client for the server, with the credential when there is one. */
  client(): ImageHostClient {
    return new ImageHostClient({
      baseUrl: this.settings.server,
      credential: this.settings.credential?.value ?? null,
      // Node 20 has no global WebSocket (subscriptions: `imagehost watch`).
      webSocket: WebSocket,
    });
  }

  /** A client that sends no credential: for login, register and public metadata. */
  anonymousClient(): ImageHostClient {
    return new ImageHostClient({ baseUrl: this.settings.server, credential: null });
  }

  /** A client with a credential; exit 3 without asking the server when there is none. */
  authenticatedClient(): ImageHostClient {
    if (this.settings.credential === null) {
      throw new CliError(
        ExitCode.AUTH,
        `Not logged in to ${this.server}: run \`imagehost login\` (or set IMAGEHOST_API_KEY).`,
      );
    }
    return this.client();
  }

  /** One line of results on stdout. */
  print(line: string): void {
    this.io.stdout.write(`${line}\n`);
  }

  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A message for the person at the terminal, on stderr. */
  info(message: string): void {
    this.io.stderr.write(`${message}\n`);
  }

  warn(message: string): void {
    this.io.stderr.write(`warning: ${message}\n`);
  }

  /** Reports one failure of several (a file, an id) and carries on; the command decides the exit code. */
  reportError(message: string): void {
    this.io.stderr.write(`error: ${message}\n`);
  }

  /** Stores a session credential for this server and makes it the default server. */
  async saveCredential(username: string, apiKey: string): Promise<void> {
    const config = this.settings.config;
    config.credentials[this.server] = { username, apiKey };
    config.server = this.server;
    await writeConfig(this.settings.configPath, config);
  }

  /** Forgets this server's stored credential (the default server stays). */
  async forgetCredential(): Promise<void> {
    const config = this.settings.config;
    if (!(this.server in config.credentials)) return;
    delete config.credentials[this.server];
    await writeConfig(this.settings.configPath, config);
  }
}
