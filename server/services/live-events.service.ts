import { AppError, DependencyUnavailableError, ErrorCode } from "../errors.js";
import type { ImageEvent, ImageEventFeed } from "../ports/image-events.js";
import type { Viewer } from "./credential.service.js";

/** Events a slow subscriber may fall behind by before its subscription is ended (it refetches on resubscribe). */
const MAX_BUFFERED_EVENTS = 100;

/** Live updates for subscriptions: the viewer's own image events, never anyone else's. */
export class LiveEventsService {
  private readonly active = new Set<EventQueue>();

  constructor(private readonly feed: ImageEventFeed) {
    feed.onLost(() => {
      for (const queue of [...this.active]) queue.fail(new DependencyUnavailableError("redis"));
    });
  }

  /**
   * The viewer's image events from now on. Resolves once listening has begun, so anything the viewer does after
   * it resolves is seen. The iterator ends (its `return`) when the subscriber goes away; it throws
   * SERVICE_UNAVAILABLE when the bus is lost, since the events in between are gone.
   */
  async watch(viewer: Viewer): Promise<AsyncIterableIterator<ImageEvent>> {
    const queue = new EventQueue();
    const stop = await this.feed.listen(viewer.userId, (event) => queue.push(event));
    this.active.add(queue);
    queue.onEnd(() => {
      this.active.delete(queue);
      stop();
    });
    return queue;
  }

  /** Subscriptions listening on this node now (for metrics and tests). */
  get watching(): number {
    return this.active.size;
  }

  /** Runs `handler` when the bus is lost (every watch then ends with SERVICE_UNAVAILABLE). */
  onLost(handler: () => void): void {
    this.feed.onLost(handler);
  }
}

/** A push-to-pull queue: the feed pushes, graphql-ws pulls with `for await`. */
class EventQueue implements AsyncIterableIterator<ImageEvent> {
  private readonly buffered: ImageEvent[] = [];
  private waiting: ((result: IteratorResult<ImageEvent>) => void) | null = null;
  private failure: AppError | null = null;
  private failWaiting: ((error: AppError) => void) | null = null;
  private done = false;
  private endHandler: (() => void) | null = null;

  onEnd(handler: () => void): void {
    this.endHandler = handler;
  }

  push(event: ImageEvent): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = this.failWaiting = null;
      resolve({ value: event, done: false });
      return;
    }
    if (this.buffered.length >= MAX_BUFFERED_EVENTS) {
      this.fail(new AppError(ErrorCode.RATE_LIMITED, "Too many events waiting for this subscriber; subscribe again."));
      return;
    }
    this.buffered.push(event);
  }

  fail(error: AppError): void {
    if (this.done) return;
    this.failure = error;
    this.finish();
    if (this.failWaiting) {
      const reject = this.failWaiting;
      this.waiting = this.failWaiting = null;
      reject(error);
    }
  }

  next(): Promise<IteratorResult<ImageEvent>> {
    const event = this.buffered.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.failure) return Promise.reject(this.failure);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<ImageEvent>> {
    this.buffered.length = 0;
    this.finish();
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = this.failWaiting = null;
      resolve({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ImageEvent> {
    return this;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.endHandler?.();
  }
}
