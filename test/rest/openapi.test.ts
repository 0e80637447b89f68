import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { openApiPath } from "../../server/rest/openapi.js";
import { restRoutes } from "../../server/rest/route-table.js";
import { uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { PASSWORD, type RestResponse, rest } from "./rest-client.js";

/**
 * GET /api/v1/openapi.json: valid OpenAPI 3.1, and in step with what is served: every route it lists is served and
 * the other way round, and real answers have the statuses and bodies it documents.
 */
let server: TestApp;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document, indexed freely
let doc: any;
beforeAll(async () => {
  server = await startTestApp();
  const r = await rest(server.baseUrl, "GET", "/api/v1/openapi.json");
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toMatch(/^application\/json/);
  doc = r.body;
});
afterAll(() => server?.close());

/** Every (method, path) the server registered, from Fastify's route tree; HEAD twins of GET routes left out. */
function registeredRoutes(): Set<string> {
  const tree = server.app.http.printRoutes({ commonPrefix: false });
  const found = new Set<string>();
  const prefixes: string[] = [];
  for (const line of tree.split("\n")) {
    const match = /^([│ ├└─]*)(\S+)(?: \(([A-Z, ]+)\))?$/.exec(line.trimEnd());
    if (!match) continue;
    const depth = match[1]!.length / 4;
    prefixes.length = depth;
    const path = (prefixes[depth - 1] ?? "") + match[2]!;
    prefixes[depth] = path;
    for (const method of match[3]?.split(", ") ?? []) if (method !== "HEAD") found.add(`${method} ${path}`);
  }
  return found;
}

function documentedRoutes(): Set<string> {
  const found = new Set<string>();
  for (const [path, operations] of Object.entries(doc.paths as Record<string, object>)) {
    for (const method of Object.keys(operations)) found.add(`${method.toUpperCase()} ${path}`);
  }
  return found;
}

describe("GET /api/v1/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  it("describes what the server really answers: every status and body below is the documented one", async () => {
    const check = (method: string, path: string, response: RestResponse) => {
      const operation = doc.paths[path]?.[method.toLowerCase()];
      expect(operation, `${method} ${path} is not documented`).toBeDefined();
      const documented = operation.responses[String(response.status)];
      expect(documented, `${method} ${path} answered ${response.status}, which is not documented`).toBeDefined();
      const schema = documented.content?.["application/json"]?.schema;
      if (schema === undefined) return;
      const parsed = z.fromJSONSchema(resolved(schema)).safeParse(response.body);
      expect(
        parsed.error?.issues ?? [],
        `${method} ${path} ${response.status}: ${JSON.stringify(response.body)}`,
      ).toEqual([]);
    };
    const call = async (
      method: string,
      path: string,
      options: Parameters<typeof rest>[3] = {},
      documentedAs = path,
    ) => {
      const response = await rest(server.baseUrl, method, path, options);
      check(method, documentedAs, response);
      return response;
    };

    const username = uniqueUsername("doc");
    const registered = await call("POST", "/api/v1/register", { json: { username, password: PASSWORD } });
    expect(registered.status).toBe(200);
    const login = await call("POST", "/api/v1/login", { json: { username, password: PASSWORD } });
    expect(login.status).toBe(200);
    expect((await call("POST", "/api/v1/login", { json: { username, password: "wrong-pass-999" } })).status).toBe(401);
    expect((await call("POST", "/api/v1/login", { json: { username: 5 } })).status).toBe(400);
    const key = login.body.api_key as string;

    const bytes = await makeImage("png");
    const request = await call("POST", "/api/v1/upload/request", {
      key,
      json: { filename: "doc.png", mime_type: "image/png", size: bytes.length },
    });
    expect(request.status).toBe(200);
    const sent = await fetch(request.body.presigned_url, {
      method: "PUT",
      headers: { "content-type": "image/png" },
      body: new Uint8Array(bytes),
    });
    expect(sent.ok).toBe(true);
    const completeBody = { iid: request.body.iid, key: request.body.key, filename: "doc.png", mime_type: "image/png" };
    const completed = await call("POST", "/api/v1/upload/complete", { key, json: completeBody });
    expect(completed.status).toBe(201);
    const id = completed.body.id as string;
    expect((await call("POST", "/api/v1/upload/complete", { json: completeBody })).status).toBe(401);

    const listed = await call("GET", "/api/v1/me/images", { key });
    expect(listed.body.items).toHaveLength(1);
    expect((await call("GET", "/api/v1/me/images?limit=zero", { key }, "/api/v1/me/images")).status).toBe(400);
    expect((await call("GET", `/api/v1/image/${id}`, {}, "/api/v1/image/{id}")).status).toBeOneOf([302, 503]);
    expect((await call("GET", `/image/${id}`, {}, "/image/{id}")).status).toBeOneOf([302, 503]);
    expect((await call("GET", "/image/nothing-here", {}, "/image/{id}")).status).toBe(404);
    expect((await call("DELETE", `/api/v1/image/${id}`, { key }, "/api/v1/image/{id}")).status).toBe(200);
    expect((await call("DELETE", `/api/v1/image/${id}`, { key }, "/api/v1/image/{id}")).status).toBe(404);

    for (const path of ["/health", "/ready", "/redis-check", "/api/v1/openapi.json"]) {
      expect((await call("GET", path)).status).toBe(200);
    }
  });

  it("documents every route the server registers under /api/v1, and nothing it does not serve", () => {
    const registered = [...registeredRoutes()]
      .filter((r) => r.split(" ")[1]!.startsWith("/api/v1/"))
      .map((r) => r.replace(/:(\w+)/g, "{$1}"));
    expect(registered.length).toBeGreaterThanOrEqual(8);
    const documented = documentedRoutes();
    for (const route of registered) expect(documented, `${route} is served but not documented`).toContain(route);
    for (const route of documented) {
      const [method, path] = route.split(" ") as [string, string];
      const url = path.replace(/\{(\w+)\}/g, ":$1");
      expect(server.app.http.hasRoute({ method: method as "GET", url }), `${route} is documented but not served`).toBe(
        true,
      );
    }
  });

  it("covers the contract's routes outside /api/v1 too", () => {
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/image/{id}", "/health", "/redis-check", "/ready"]),
    );
    for (const path of ["/image/{id}", "/api/v1/image/{id}"]) {
      const get = doc.paths[path].get;
      expect(Object.keys(get.responses)).toEqual(expect.arrayContaining(["302", "404"]));
      expect(get.responses["302"].headers.Location).toBeDefined();
      expect(get.parameters).toEqual([
        expect.objectContaining({ name: "id", in: "path", required: true }),
        // Issue 17: a private image's viewUrl carries a grant.
        expect.objectContaining({ name: "grant", in: "query", required: false }),
      ]);
    }
    expect(Object.keys(doc.paths["/ready"].get.responses)).toEqual(expect.arrayContaining(["200", "503"]));
    expect(doc.paths["/redis-check"].get.responses["200"].content["application/json"].schema).toMatchObject({
      properties: { redis: { const: true } },
    });
  });

  it("declares the X-API-Key scheme and uses it on exactly the authenticated routes", () => {
    expect(doc.components.securitySchemes.ApiKey).toEqual(
      expect.objectContaining({ type: "apiKey", in: "header", name: "X-API-Key" }),
    );
    for (const route of Object.values(restRoutes)) {
      const operation = doc.paths[openApiPath(route.path)][route.method.toLowerCase()];
      if (route.auth) {
        expect(operation.security).toContainEqual({ ApiKey: [] });
        expect(operation.responses["401"].content["application/json"].schema).toEqual({
          $ref: "#/components/schemas/Error",
        });
      } else {
        expect(operation.security).toBeUndefined();
      }
    }
  });

  it("describes request bodies with their types, and every failure with the error schema", () => {
    const request = doc.paths["/api/v1/upload/request"].post;
    expect(request.requestBody.content["application/json"].schema).toMatchObject({
      type: "object",
      required: ["filename", "mime_type"],
      properties: { filename: { type: "string" }, mime_type: { type: "string" } },
    });
    // Forward compatibility: unknown properties are not forbidden.
    expect(request.requestBody.content["application/json"].schema.additionalProperties).toBeUndefined();
    expect(Object.keys(doc.paths["/api/v1/upload/complete"].post.responses)).toEqual(
      expect.arrayContaining(["201", "400", "401", "404", "default"]),
    );
    expect(doc.components.schemas.Error).toMatchObject({
      type: "object",
      required: ["error"],
      properties: { error: { required: ["code", "message", "request_id"] } },
    });
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual(
      expect.arrayContaining([
        "validation",
        "auth",
        "conflict",
        "not_found",
        "forbidden",
        "rate_limited",
        "too_large",
        "unavailable",
        "internal",
      ]),
    );
    const items =
      doc.paths["/api/v1/me/images"].get.responses["200"].content["application/json"].schema.properties.items.items;
    expect(items.required).toEqual([
      "id",
      "url",
      "filename",
      "mime",
      "created_at",
      "size",
      "width",
      "height",
      "status",
      "thumbnail_url",
    ]);
    expect(items.properties.created_at.type).toBe("integer");
  });
});

/** `schema` with the document's `$ref`s replaced by what they point at, for a validator that sees no document. */
function resolved(schema: unknown): z.core.JSONSchema.JSONSchema {
  const inline = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(inline);
    if (node === null || typeof node !== "object") return node;
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === "string") {
      const target = ref
        .replace(/^#\//, "")
        .split("/")
        .reduce<unknown>((at, part) => (at as Record<string, unknown>)[part], doc);
      return inline(target);
    }
    return Object.fromEntries(Object.entries(node).map(([name, value]) => [name, inline(value)]));
  };
  return inline(schema) as z.core.JSONSchema.JSONSchema;
}
