import { ReplyError } from "ioredis";
import { DependencyUnavailableError } from "../errors.js";

/**
 * Wraps every method of a store so that a connection-level failure (down, timed out, cluster not ready) becomes
 * DependencyUnavailableError. Errors Redis itself replied with are bugs and stay as they are, except the
 * replies that mean "not ready yet".
 */
export function guardRedisErrors<T extends object>(store: T): T {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args);
        } catch (error) {
          throw isUnavailable(error) ? new DependencyUnavailableError("redis", { cause: error }) : error;
        }
      };
    },
  });
}

const NOT_READY_REPLIES = /^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY)/;
const CONNECTION_ERRORS =
  /Connection is closed|Command timed out|Stream isn't writeable|startup nodes|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH/;

function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof ReplyError) return NOT_READY_REPLIES.test(error.message);
  return (
    error.name === "MaxRetriesPerRequestError" ||
    error.name === "ClusterAllFailedError" ||
    CONNECTION_ERRORS.test(`${error.message} ${(error as { code?: string }).code ?? ""}`)
  );
}
