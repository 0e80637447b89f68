import { ClientError } from "graphql-request";
import { ImageHostError, fromGraphQLErrors, httpError } from "./errors.js";

// How ImageHostClient reaches the endpoint: URLs, and every failure mapped to an ImageHostError.

export function webSocketUrl(endpoint: string): string {
  return endpoint.replace(/^http(s?):/, "ws$1:");
}

/** graphql-request needs an absolute URL; in a browser a relative base resolves against the page. */
export function absoluteUrl(url: string): string {
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return new URL(url, page).href;
  } catch {
    throw new ImageHostError("BAD_USER_INPUT", `Not a valid server URL: ${url}`);
  }
}

export async function mapErrors<T>(endpoint: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw toImageHostError(endpoint, error);
  }
}

function toImageHostError(endpoint: string, error: unknown): unknown {
  if (error instanceof ImageHostError) return error;
  if (error instanceof Error && error.name === "AbortError") return error;
  if (error instanceof ClientError) {
    const { errors, status, body } = error.response;
    if (errors !== undefined && errors.length > 0) return fromGraphQLErrors(errors, status);
    return httpError(endpoint, status, typeof body === "string" ? body : "");
  }
  // A 2xx that graphql-request could not read as a GraphQL result.
  return new ImageHostError(
    "HTTP_ERROR",
    `${new URL(endpoint).origin} did not answer with GraphQL: is it an ImageHost server?`,
    {
      cause: error,
    },
  );
}
