import { z } from "zod";
import { TAGS, errorBody, type RouteSpec } from "./route-spec.js";

export type JsonSchema = Record<string, unknown>;

const ERROR_REF = { $ref: "#/components/schemas/Error" };

/**
 * A route-table schema as JSON Schema 2020-12 (the dialect of OpenAPI 3.1), as it looks on the wire: "input"
 * leaves objects open to unknown properties, which clients must tolerate and the server ignores.
 */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const converted: JsonSchema = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input" });
  // The document as a whole declares the dialect (OpenAPI 3.1); repeating it in every schema is noise.
  delete converted.$schema;
  return converted;
}

/** `/api/v1/image/:id` → `/api/v1/image/{id}`. */
export function openApiPath(fastifyPath: string): string {
  return fastifyPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

/** The OpenAPI 3.1 document of `routes`, generated (never hand-edited) so it always matches what is served. */
export function buildOpenApiDocument(routes: Readonly<Record<string, RouteSpec>>): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [operationId, route] of Object.entries(routes)) {
    (paths[openApiPath(route.path)] ??= {})[route.method.toLowerCase()] = operationOf(operationId, route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "ImageHost REST API",
      version: "1.0.0",
      description:
        "The REST dialect older ImageHost clients speak; GraphQL at /graphql is the full API. JSON in, JSON out. " +
        'Every failure answers `{"error": {"code", "message", "request_id"}}`.',
    },
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: { Error: jsonSchemaOf(errorBody) },
      securitySchemes: {
        ApiKey: {
          type: "apiKey",
          in: "header",
          name: "X-API-Key",
          description: "An API key or the api_key from register/login.",
        },
        Bearer: { type: "http", scheme: "bearer", description: "The same credential, as Authorization: Bearer <key>." },
      },
    },
  };
}

function operationOf(operationId: string, route: RouteSpec): JsonSchema {
  const parameters = [...parametersOf(route.params, "path"), ...parametersOf(route.query, "query")];
  const responses: Record<string, unknown> = {
    [String(route.success.status)]: {
      description: route.success.description,
      ...(route.success.headers ? { headers: headersOf(route.success.headers) } : {}),
      ...(route.success.body ? { content: json(jsonSchemaOf(route.success.body)) } : {}),
    },
  };
  for (const [status, description] of Object.entries(route.errors)) {
    responses[status] = {
      description,
      ...(status === "429" ? { headers: headersOf({ "Retry-After": "Seconds to wait before trying again." }) } : {}),
      content: json(route.errorDetails ? jsonSchemaOf(route.errorDetails.body) : ERROR_REF),
    };
  }
  responses.default = {
    description: "Unexpected error (500, code internal); quote its request_id.",
    content: json(ERROR_REF),
  };
  return {
    operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(route.auth ? { security: [{ ApiKey: [] }, { Bearer: [] }] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: json(jsonSchemaOf(route.body)) } } : {}),
    responses,
  };
}

function parametersOf(schema: z.ZodObject | undefined, where: "path" | "query"): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchemaOf(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: where,
      required: where === "path" || (object.required ?? []).includes(name),
      ...(typeof description === "string" ? { description } : {}),
      schema: propertySchema,
    };
  });
}

function headersOf(headers: Readonly<Record<string, string>>): JsonSchema {
  return Object.fromEntries(
    Object.entries(headers).map(([name, description]) => [name, { description, schema: { type: "string" } }]),
  );
}

function json(schema: JsonSchema): JsonSchema {
  return { "application/json": { schema } };
}
