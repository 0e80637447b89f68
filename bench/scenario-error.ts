/** Raised when a scenario got answers it should not have: a benchmark of errors measures nothing. */
export class ScenarioError extends Error {
  override name = "ScenarioError";
}
