import type { ServerResponse } from "node:http";

/**
 * Aborts when the client goes away before its answer is sent, so work done only for that answer (such as waiting
 * on a concurrent completion, issue 15) can stop. Safe to call late: a response already closed unanswered aborts
 * at once.
 */
export function clientGoneSignal(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const abortIfUnanswered = () => {
    if (!response.writableFinished) controller.abort(new Error("The client went away."));
  };
  if (response.destroyed) abortIfUnanswered();
  else response.once("close", abortIfUnanswered);
  return controller.signal;
}
