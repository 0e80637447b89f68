/**
 * Places in line for recording uploads. The server dates an image when its upload is completed, and the gallery
 * lists images by that date; files sent side by side finish in any order (small ones first), so without a line a
 * batch would land in the gallery in finishing order instead of the order the user picked.
 */
export interface Turn {
  /** Resolves once every earlier place has been released. */
  wait: Promise<void>;
  /** Ends this place, completed or failed; must always be called, or every later upload waits for ever. */
  release(): void;
}

export class CompletionOrder {
  private last: Promise<void> = Promise.resolve();

  /** The next place; take them in the order the files were picked. */
  take(): Turn {
    const wait = this.last;
    let release!: () => void;
    this.last = new Promise<void>((resolve) => (release = resolve));
    return { wait, release };
  }
}
