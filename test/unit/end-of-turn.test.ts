import { describe, expect, it } from "vitest";
import { endOfTurnQueue } from "../../server/http/end-of-turn.js";

/** Waits out the current turn's check phase: an immediate queued now runs after those queued before it. */
const nextCheckPhase = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("endOfTurnQueue (hot answers written together at the end of a turn)", () => {
  it("runs nothing at once, then every answer of the turn in the order queued", async () => {
    const answerAtEndOfTurn = endOfTurnQueue();
    const ran: string[] = [];
    for (const name of ["a", "b", "c"]) answerAtEndOfTurn(() => ran.push(name));
    // Still inside the turn that queued them (the requests' I/O callbacks): nothing written yet.
    await Promise.resolve();
    expect(ran).toEqual([]);
    await nextCheckPhase();
    expect(ran).toEqual(["a", "b", "c"]);
  });

  it("answers a lone request in its own turn, and what is queued while answering in the next", async () => {
    const answerAtEndOfTurn = endOfTurnQueue();
    const ran: string[] = [];
    answerAtEndOfTurn(() => {
      ran.push("first");
      answerAtEndOfTurn(() => ran.push("queued while answering"));
    });
    await nextCheckPhase();
    expect(ran).toEqual(["first"]);
    await nextCheckPhase();
    expect(ran).toEqual(["first", "queued while answering"]);
  });

  it("keeps separate queues apart", async () => {
    const [one, two] = [endOfTurnQueue(), endOfTurnQueue()];
    const ran: string[] = [];
    one(() => ran.push("one"));
    two(() => ran.push("two"));
    one(() => ran.push("one again"));
    await nextCheckPhase();
    expect(ran).toEqual(["one", "one again", "two"]);
  });
});
