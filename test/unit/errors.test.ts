import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import {
  AppError,
  ErrorCode,
  DependencyUnavailableError,
  httpStatusOf,
  restCodeOf,
  toClientError,
} from "../../server/errors.js";
import { formatGraphQLError } from "../../server/graphql/errors.js";

describe("error table (SEC-8)", () => {
  it("maps every code to a distinct HTTP status and REST code", () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes.map(httpStatusOf)).size).toBe(codes.length);
    expect(new Set(codes.map(restCodeOf)).size).toBe(codes.length);
    expect(httpStatusOf(ErrorCode.SERVICE_UNAVAILABLE)).toBe(503);
    expect(restCodeOf(ErrorCode.BAD_USER_INPUT)).toBe("validation");
  });

  it("masks unexpected errors and keeps AppErrors", () => {
    const leak = new Error("connect ECONNREFUSED 10.0.0.5:6379 at /srv/app/server/redis.ts:12");
    expect(toClientError(leak)).toEqual({
      code: "INTERNAL_SERVER_ERROR",
      message: "Internal server error. Quote the request id when reporting it.",
      details: {},
    });
    expect(toClientError(new AppError(ErrorCode.CONFLICT, "taken"))).toMatchObject({
      code: "CONFLICT",
      message: "taken",
    });
    const unavailable = toClientError(new DependencyUnavailableError("redis", { cause: leak }));
    expect(unavailable.code).toBe("SERVICE_UNAVAILABLE");
    expect(unavailable.message).not.toMatch(/ECONNREFUSED|redis|6379/i);
  });

  it("formats resolver errors for GraphQL without leaking internals", () => {
    const leak = new Error("WRONGTYPE Operation against a key holding the wrong kind of value ih:acct:{x}");
    const wrapped = new GraphQLError(leak.message, { originalError: leak, path: ["me"] });
    const formatted = formatGraphQLError(
      { message: leak.message, path: ["me"], extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: ["x"] } },
      wrapped,
    );
    expect(formatted).toEqual({
      message: "Internal server error. Quote the request id when reporting it.",
      path: ["me"],
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    });
    const app = new AppError(ErrorCode.RATE_LIMITED, "slow down", { retryAfterSeconds: 30 });
    expect(
      formatGraphQLError({ message: "slow down" }, new GraphQLError("slow down", { originalError: app })).extensions,
    ).toEqual({
      code: "RATE_LIMITED",
      retryAfterSeconds: 30,
    });
  });
});
