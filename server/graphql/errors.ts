import type { ApolloServerPlugin } from "@apollo/server";
import { type GraphQLFormattedError, GraphQLError } from "graphql";
import { AppError, ErrorCode, httpStatusOf, logLevelOf, toClientError } from "../errors.js";
import type { GraphQLContext } from "./context.js";

/** Codes Apollo and graphql-js use for requests that are malformed; they all mean "bad input" to clients. */
const REQUEST_ERROR_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "PERSISTED_QUERY_NOT_FOUND",
]);

/**
 * Apollo's formatError: every error leaves with a code from our one table. AppErrors keep their message;
 * request errors from graphql-js keep theirs (they only describe the query); everything else is masked (SEC-8).
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = originalOf(error);
  if (original instanceof AppError) {
    const client = toClientError(original);
    return { message: client.message, path: formatted.path, extensions: { ...client.details, code: client.code } };
  }
  const apolloCode = formatted.extensions?.code;
  if (typeof apolloCode === "string" && REQUEST_ERROR_CODES.has(apolloCode)) {
    return {
      message: formatted.message,
      locations: formatted.locations,
      extensions: { code: ErrorCode.BAD_USER_INPUT },
    };
  }
  const masked = toClientError(original);
  return { message: masked.message, path: formatted.path, extensions: { code: masked.code } };
}

/**
 * SEC-6: with the explorer off, errors name nothing of the schema the query did not already name. graphql-js adds
 * suggestions ("Did you mean "me"?", enum values) to validation and variable errors; Apollo's
 * hideSchemaDetailsFromClientErrors strips them from validation errors only, this from every error's message.
 */
export function withoutSchemaSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return { ...formatted, message: formatted.message.replace(/ ?Did you mean [^?]*\?/g, "") };
}

/**
 * The log level of an error, from the same table as every other edge (`logLevelOf`); errors graphql-js made
 * itself (parse, validation) only describe the query and are not logged.
 */
function logLevelOfGraphQLError(error: GraphQLError): "error" | "warn" | null {
  const original = originalOf(error);
  if (original instanceof GraphQLError && !original.originalError) return null;
  return logLevelOf(original);
}

/** The error a resolver (or graphql-js on its behalf) actually threw, beneath any GraphQLError wrappers. */
function originalOf(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return current;
}

interface Logger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Logs unexpected errors with the request id and puts that id on every error the client receives (SEC-8); answers
 * 503 when a dependency is down (SEC-14) and 429 with Retry-After when an attempt was rate limited (SEC-3).
 */
export function responseErrorsPlugin(log: Logger): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ contextValue }) {
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const level = logLevelOfGraphQLError(error);
            if (level !== null)
              log[level]({ err: originalOf(error), requestId: contextValue.requestId }, "request failed");
          }
        },
        async willSendResponse({ response }) {
          if (response.body.kind !== "single" || !response.body.singleResult.errors) return;
          const errors = response.body.singleResult.errors;
          response.body.singleResult.errors = errors.map((e) => ({
            ...e,
            extensions: { ...e.extensions, requestId: contextValue.requestId },
          }));
          // As on REST: a dependency outage answers 503 (SEC-14), a rate-limited attempt 429 with Retry-After (SEC-3).
          const codes = new Set(errors.map((e) => e.extensions?.code));
          if (codes.has(ErrorCode.SERVICE_UNAVAILABLE)) {
            response.http.status = httpStatusOf(ErrorCode.SERVICE_UNAVAILABLE);
          } else if (codes.has(ErrorCode.RATE_LIMITED)) {
            const waits = errors
              .filter((e) => e.extensions?.code === ErrorCode.RATE_LIMITED)
              .map((e) => Number(e.extensions?.retryAfterSeconds ?? 1));
            response.http.status = httpStatusOf(ErrorCode.RATE_LIMITED);
            response.http.headers.set("retry-after", String(Math.max(...waits)));
          }
        },
      };
    },
  };
}
