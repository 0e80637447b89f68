import { isImageHostError } from "../../client/errors.js";

/** One sentence for the person at the keyboard, from whatever a client call threw. */
export function describeError(error: unknown): string {
  if (isImageHostError(error)) {
    switch (error.code) {
      case "UNAUTHENTICATED":
        return "Your session has ended. Please log in again.";
      case "RATE_LIMITED": {
        // The server's sentence names the limit and the wait in human units.
        if (error.message) return error.message;
        const seconds = Number(error.details.retryAfterSeconds);
        return `Too many attempts. Please wait ${Number.isFinite(seconds) && seconds > 0 ? `${Math.ceil(seconds)} seconds` : "a little while"} and try again.`;
      }
      case "NETWORK_ERROR":
        return "Cannot reach the server. Check your connection and try again.";
      case "SERVICE_UNAVAILABLE":
        return "The server is having trouble right now. Please try again in a moment.";
      case "INTERNAL_SERVER_ERROR":
        return `Something went wrong on the server${error.requestId ? ` (request ${error.requestId})` : ""}.`;
      default:
        return error.message;
    }
  }
  if (error instanceof DOMException && error.name === "AbortError") return "Cancelled.";
  return error instanceof Error && error.message ? error.message : "Something went wrong.";
}

export function isUnauthenticated(error: unknown): boolean {
  return isImageHostError(error, "UNAUTHENTICATED");
}
