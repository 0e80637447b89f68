import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from "fastify";
import type { z } from "zod";
import { AppError, badInput, unauthenticated } from "../errors.js";
import { sendError } from "../http/error-reply.js";
import { ignoreRequestBodies } from "../http/ignored-body.js";
import { presentedSecret } from "../http/presented-secret.js";
import type { AccountService } from "../services/account.service.js";
import type { CredentialService, Viewer } from "../services/credential.service.js";
import type { ImageService } from "../services/image.service.js";
import type { ReadinessService } from "../services/readiness.service.js";
import type { UploadService } from "../services/upload.service.js";
import { accountHandlers } from "./account.routes.js";
import { imageHandlers } from "./image.routes.js";
import { buildOpenApiDocument, jsonSchemaOf } from "./openapi.js";
import { readinessHandlers } from "./readiness.routes.js";
import type { RestHandler, RouteSpec } from "./route-spec.js";
import { type HandledRouteName, type RestHandlers, type RouteName, restRoutes } from "./route-table.js";
import { uploadHandlers } from "./upload.routes.js";
import { clientGoneSignal } from "../http/client-gone.js";

export interface RestDependencies {
  readonly accounts: AccountService;
  readonly credentials: CredentialService;
  readonly images: ImageService;
  readonly uploads: UploadService;
  readonly readiness: ReadinessService;
}

/**
 * Serves every route of the route table that is not served elsewhere, plus the OpenAPI document generated from
 * the same table. Each route: authenticate (when it needs a caller), validate, call its handler, send the
 * success status; every failure goes through `sendError`.
 */
export function registerRestRoutes(
  app: FastifyInstance,
  { accounts, credentials, images, uploads, readiness }: RestDependencies,
): void {
  const openApiDocument = buildOpenApiDocument(restRoutes);
  const handlers: RestHandlers = {
    ...accountHandlers(accounts),
    ...uploadHandlers(uploads, images),
    ...imageHandlers(images),
    ...readinessHandlers(readiness),
    openApi: async () => openApiDocument,
  };

  const viewers = new WeakMap<FastifyRequest, Viewer>();
  // Runs before the body is read: a caller without a valid key learns that first, and costs no parsing.
  const authenticate = async (request: FastifyRequest) => {
    const viewer = await credentials.authenticate(presentedSecret(request.headers));
    if (!viewer) throw unauthenticated();
    viewers.set(request, viewer);
  };

  // sendError owns the error body; a route that exposes some of an error's details adds them to it here.
  const exposedDetails = new WeakMap<FastifyRequest, Record<string, unknown>>();
  const addExposedDetails = async (request: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
    const details = exposedDetails.get(request);
    if (details === undefined || !isErrorBody(payload)) return payload;
    return { error: { ...payload.error, ...details } };
  };

  const specOf = (name: RouteName): RouteSpec => restRoutes[name];
  const served = (Object.keys(restRoutes) as RouteName[]).filter((name) => specOf(name).servedBy === undefined);
  const takesBody = (name: RouteName) => specOf(name).body !== undefined;
  const register = (scope: FastifyInstance, name: RouteName) => {
    const spec = specOf(name);
    // Each handler is typed against its own table entry; here they are all driven the same way.
    const handler = handlers[name as HandledRouteName] as unknown as RestHandler<RouteSpec>;
    scope.route({
      method: spec.method,
      url: spec.path,
      schema: fastifySchemaOf(spec),
      validatorCompiler: ({ httpPart }) => validatorFor(partSchema(spec, httpPart), httpPart ?? "request"),
      ...(spec.auth ? { onRequest: authenticate } : {}),
      ...(spec.errorDetails ? { preSerialization: addExposedDetails } : {}),
      handler: async (request, reply) => {
        try {
          const body = await handler({
            body: request.body,
            query: request.query,
            params: request.params,
            viewer: viewers.get(request) ?? null,
            clientIp: request.ip,
            get signal() {
              return clientGoneSignal(reply.raw);
            },
          } as Parameters<typeof handler>[0]);
          return reply.code(spec.success.status).send(body);
        } catch (error) {
          if (spec.errorDetails && error instanceof AppError) {
            const keys = spec.errorDetails.keys;
            exposedDetails.set(
              request,
              Object.fromEntries(Object.entries(error.details).filter(([key]) => keys.includes(key))),
            );
          }
          return sendError(request, reply, error);
        }
      },
    });
  };
  for (const name of served) if (takesBody(name)) register(app, name);
  // Routes that take no body accept and ignore whatever body and Content-Type an old client sends with them.
  void app.register(async (scope) => {
    ignoreRequestBodies(scope);
    for (const name of served) if (!takesBody(name)) register(scope, name);
  });
}

/** The JSON Schemas Fastify records for the route; validation itself runs the table's zod schemas (below). */
function fastifySchemaOf(spec: RouteSpec): FastifySchema {
  return {
    ...(spec.body ? { body: jsonSchemaOf(spec.body) } : {}),
    ...(spec.query ? { querystring: jsonSchemaOf(spec.query) } : {}),
    ...(spec.params ? { params: jsonSchemaOf(spec.params) } : {}),
  };
}

function partSchema(spec: RouteSpec, httpPart: string | undefined): z.ZodType | undefined {
  if (httpPart === "body") return spec.body;
  if (httpPart === "querystring") return spec.query;
  if (httpPart === "params") return spec.params;
  return undefined;
}

/**
 * Fastify's default Ajv coerces types (`{"filename": 5}` would become "5"); the table's schemas check them
 * instead, and drop unknown properties rather than reject them. A failure is a 400 `validation` naming the field.
 */
function validatorFor(schema: z.ZodType | undefined, part: string) {
  return (data: unknown) => {
    if (schema === undefined) return { value: data };
    const parsed = schema.safeParse(data, {
      error: (issue) => (issue.code === "invalid_type" && issue.input === undefined ? "required" : undefined),
    });
    if (parsed.success) return { value: parsed.data };
    const where = part === "querystring" ? "query" : part;
    const problems = parsed.error.issues.map(
      (issue) => `${[where, ...issue.path.map(String)].join(".")}: ${issue.message}`,
    );
    return { error: badInput(`Invalid request: ${problems.join("; ")}.`) };
  };
}

function isErrorBody(payload: unknown): payload is { error: Record<string, unknown> } {
  return typeof payload === "object" && payload !== null && typeof (payload as { error?: unknown }).error === "object";
}
