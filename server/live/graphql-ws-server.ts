import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import {
  type ExecutionResult,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
} from "graphql";
import type { Context as WsContext } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import type { LiveConfig } from "../config.js";
import { AppError, ErrorCode } from "../errors.js";
import type { GraphQLContext } from "../graphql/context.js";
import { formatGraphQLError } from "../graphql/errors.js";
import type { CredentialService, Viewer } from "../services/credential.service.js";
import type { LiveEventsService } from "../services/live-events.service.js";
import { socketCredential, upgradeOriginAllowed } from "./socket-credential.js";

/**
 * Close codes we send. graphql-ws clients do not retry 4401 and 4429 (the user must act), and retry 1001 and
 * 1013 with backoff (another node, or Redis back).
 */
const LiveCloseCode = {
  /** No credential, or one that is invalid, revoked or expired (also when revoked while connected). */
  UNAUTHORIZED: 4401,
  /** The user already has `maxConnectionsPerUser` sockets on this node. */
  TOO_MANY_CONNECTIONS: 4429,
  /** The server is shutting down (SEC-18): reconnect, to another node behind the proxy. */
  GOING_AWAY: 1001,
  /** Redis (the event bus or the credential store) is unreachable: events may have been missed; reconnect later. */
  TRY_AGAIN_LATER: 1013,
} as const;

export interface GraphQLWebSocketOptions {
  schema: GraphQLSchema;
  credentials: CredentialService;
  live: LiveEventsService;
  limits: LiveConfig;
  /** PUBLIC_URL's origin: the only one whose upgrade may authenticate with the session cookie. */
  ownOrigin: string;
  corsOrigins: readonly string[];
  /** The same parser and validation limits as HTTP (SEC-7). */
  maxTokens: number;
  validationRules: readonly ValidationRule[];
  /** The same error formatting as HTTP (SEC-6, SEC-8). */
  formatError?: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

interface Session {
  viewer: Viewer;
  secret: string;
  recheck: NodeJS.Timeout;
}

type Extra = {
  socket: WebSocket;
  request: IncomingMessage;
  session?: Session;
};

type Ctx = WsContext<Record<string, unknown> | undefined, Extra>;

/**
 * GraphQL subscriptions over WebSocket (graphql-ws protocol) on the HTTP server's own port and path. Only
 * subscription operations run here; queries and mutations stay on HTTP with its limits and CSRF rules.
 */
export class GraphQLWebSocketServer {
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<Ctx>();
  private readonly connectionsPerUser = new Map<string, number>();
  private closing = false;
  private readonly formatError: NonNullable<GraphQLWebSocketOptions["formatError"]>;

  constructor(private readonly options: GraphQLWebSocketOptions) {
    this.formatError = options.formatError ?? formatGraphQLError;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.limits.maxMessageBytes });
    useServer<Record<string, unknown> | undefined, Extra>(
      {
        connectionInitWaitTimeout: options.limits.connectionInitTimeoutMs,
        onConnect: (ctx) => this.connect(ctx),
        onSubscribe: (ctx, _id, payload) => this.prepare(ctx, payload),
        onNext: (_ctx, _id, _payload, _args, result) => formatResult(result, this.formatError),
        onError: (_ctx, _id, _payload, errors) => errors.map((e) => this.formatError(e.toJSON(), e)),
        onClose: (ctx) => this.forget(ctx),
      },
      this.wss,
      options.limits.keepAliveMs,
    );
    // The bus lost its connection: events are being missed, so every subscriber is told and reconnects.
    options.live.onLost(() => {
      for (const ctx of this.sessions)
        ctx.extra.socket.close(LiveCloseCode.TRY_AGAIN_LATER, "Live updates interrupted");
    });
  }

  /** Handles an HTTP server's 'upgrade' event for `/graphql`; anything else is refused. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const path = (request.url ?? "").split("?")[0];
    if (path !== "/graphql") return refuse("404 Not Found");
    if (this.closing) return refuse("503 Service Unavailable");
    if (!upgradeOriginAllowed(request.headers, this.options.ownOrigin, this.options.corsOrigins)) {
      return refuse("403 Forbidden");
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit("connection", ws, request));
  }

  /** Sockets open now (for tests and metrics). */
  get connectionCount(): number {
    return this.wss.clients.size;
  }

  /** Subscriptions that are listening now: events published from here on reach them. */
  get subscriptionCount(): number {
    return this.options.live.watching;
  }

  /** SEC-18: refuses new upgrades and closes every socket with 1001 (Going Away); waits up to `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    this.closing = true;
    const sockets = [...this.wss.clients];
    const closed = sockets.map(
      (ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once("close", resolve))),
    );
    for (const ws of sockets) ws.close(LiveCloseCode.GOING_AWAY, "Server shutting down");
    const force = setTimeout(() => sockets.forEach((ws) => ws.terminate()), graceMs);
    await Promise.all(closed);
    clearTimeout(force);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async connect(ctx: Ctx): Promise<boolean> {
    const { socket, request } = ctx.extra;
    const secret = socketCredential(ctx.connectionParams, request.headers, this.options.ownOrigin);
    if (secret === null) {
      socket.close(LiveCloseCode.UNAUTHORIZED, "Send {apiKey} or {authorization} in connection_init");
      return false;
    }
    let viewer: Viewer | null;
    try {
      viewer = await this.options.credentials.authenticate(secret);
    } catch (error) {
      this.closeForError(socket, error);
      return false;
    }
    if (!viewer) return false;
    const open = this.connectionsPerUser.get(viewer.userId) ?? 0;
    if (open >= this.options.limits.maxConnectionsPerUser) {
      socket.close(LiveCloseCode.TOO_MANY_CONNECTIONS, "Too many live connections for this user");
      return false;
    }
    this.connectionsPerUser.set(viewer.userId, open + 1);
    const recheck = setInterval(() => void this.recheck(ctx), this.options.limits.credentialRecheckMs);
    recheck.unref();
    ctx.extra.session = { viewer, secret, recheck };
    this.sessions.add(ctx);
    return true;
  }

  /** A revoked key or ended session loses its sockets within one recheck interval. */
  private async recheck(ctx: Ctx): Promise<void> {
    const session = ctx.extra.session;
    if (!session) return;
    try {
      await this.options.credentials.authenticate(session.secret);
    } catch (error) {
      // An outage is not a revocation: the bus (or the next check) decides what happens then.
      if (error instanceof AppError && error.code === ErrorCode.UNAUTHENTICATED)
        this.closeForError(ctx.extra.socket, error);
    }
  }

  private closeForError(socket: WebSocket, error: unknown): void {
    if (error instanceof AppError && error.code === ErrorCode.UNAUTHENTICATED) {
      socket.close(LiveCloseCode.UNAUTHORIZED, "Invalid, revoked or expired credential");
    } else if (error instanceof AppError && error.code === ErrorCode.SERVICE_UNAVAILABLE) {
      socket.close(LiveCloseCode.TRY_AGAIN_LATER, "A backing service is unavailable");
    } else {
      this.options.log.error({ err: error }, "websocket authentication failed");
      socket.close(1011, "Internal server error");
    }
  }

  private forget(ctx: Ctx): void {
    const session = ctx.extra.session;
    if (!session || !this.sessions.delete(ctx)) return;
    clearInterval(session.recheck);
    const open = (this.connectionsPerUser.get(session.viewer.userId) ?? 1) - 1;
    if (open > 0) this.connectionsPerUser.set(session.viewer.userId, open);
    else this.connectionsPerUser.delete(session.viewer.userId);
  }

  /** Parses and validates with the HTTP limits; only subscriptions, at most `maxSubscriptionsPerConnection`. */
  private prepare(ctx: Ctx, payload: { query: string; operationName?: string | null; variables?: unknown }) {
    const session = ctx.extra.session;
    if (!session) return [asGraphQLError(new AppError(ErrorCode.UNAUTHENTICATED, "Not authenticated."))];
    // `ctx.subscriptions` already holds this one.
    if (Object.keys(ctx.subscriptions).length > this.options.limits.maxSubscriptionsPerConnection) {
      const limit = this.options.limits.maxSubscriptionsPerConnection;
      return [asGraphQLError(new AppError(ErrorCode.RATE_LIMITED, `At most ${limit} subscriptions per connection.`))];
    }
    let document;
    try {
      document = parse(payload.query, { maxTokens: this.options.maxTokens });
    } catch (error) {
      return [badRequest(error instanceof Error ? error.message : "Syntax error")];
    }
    const errors = validate(this.options.schema, document, [...specifiedRules, ...this.options.validationRules]);
    if (errors.length > 0) return errors.map((e) => badRequest(e.message));
    const operation = getOperationAST(document, payload.operationName ?? undefined);
    if (!operation) return [badRequest("Unable to identify the operation.")];
    if (operation.operation !== "subscription") {
      return [badRequest("Only subscriptions run over WebSocket; send queries and mutations over HTTP POST.")];
    }
    const contextValue: GraphQLContext = {
      requestId: randomUUID(),
      clientIp: ctx.extra.request.socket.remoteAddress ?? "",
      viewer: async () => session.viewer,
      live: this.options.live,
    };
    return {
      schema: this.options.schema,
      document,
      operationName: payload.operationName,
      variableValues: payload.variables as Record<string, unknown> | undefined,
      contextValue,
    };
  }
}

/** graphql-ws wants GraphQLErrors; formatGraphQLError reads the AppError beneath. */
function asGraphQLError(error: AppError): GraphQLError {
  return new GraphQLError(error.message, { originalError: error });
}

function badRequest(message: string): GraphQLError {
  return asGraphQLError(new AppError(ErrorCode.BAD_USER_INPUT, message));
}

/** Errors leave through the same mapping as on HTTP: our codes, unexpected ones masked (SEC-8). */
function formatResult(
  result: ExecutionResult,
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): FormattedExecutionResult | undefined {
  if (!result.errors) return undefined;
  return { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) };
}
