/**
 * The line editor behind the hidden password prompt: it turns raw terminal input into an answer. Nothing is echoed,
 * so the user cannot see stray escape sequences; a key that would insert `\x1b[D` into a password must move the
 * cursor instead, and a key we do not handle must be dropped, never typed.
 */

/** What a key did to the line. */
export type LineEvent = "submit" | "cancel" | null;

/** ESC, then what follows it, byte by byte: a sequence may be split over two reads of the terminal. */
type EscapeState = { kind: "none" } | { kind: "esc" } | { kind: "csi"; params: string } | { kind: "ss3" };

export class HiddenLine {
  private chars: string[] = [];
  private cursor = 0;
  private escape: EscapeState = { kind: "none" };

  get value(): string {
    return this.chars.join("");
  }

  /** Feeds what the terminal sent; stops at (and reports) the first Enter or cancel. */
  feed(data: string): LineEvent {
    for (const char of data) {
      const event = this.key(char);
      if (event) return event;
    }
    return null;
  }

  private key(char: string): LineEvent {
    if (this.escape.kind !== "none") {
      this.continueEscape(char);
      return null;
    }
    switch (char) {
      case "\r":
      case "\n":
        return "submit";
      case "\u0003": // Ctrl-C
        return "cancel";
      case "\u0004": // Ctrl-D: end of input on an empty line, delete forward otherwise (as readline does)
        if (this.chars.length === 0) return "cancel";
        this.deleteForward();
        return null;
      case "\u001b":
        this.escape = { kind: "esc" };
        return null;
      case "\u007f":
      case "\b":
        if (this.cursor > 0) this.chars.splice(--this.cursor, 1);
        return null;
      case "\u0001": // Ctrl-A
        this.cursor = 0;
        return null;
      case "\u0005": // Ctrl-E
        this.cursor = this.chars.length;
        return null;
      case "\u0015": // Ctrl-U: erase to the start, the usual "start over" in a hidden prompt
        this.chars.splice(0, this.cursor);
        this.cursor = 0;
        return null;
    }
    // Other control characters (Tab included) are not part of a password anyone could type back.
    if (char >= " ") this.chars.splice(this.cursor++, 0, char);
    return null;
  }

  private continueEscape(char: string): void {
    const state = this.escape;
    if (state.kind === "esc") {
      // ESC [ … (CSI) and ESC O x (SS3, what some terminals send for arrows and Home/End); ESC + any other key
      // is Alt+key, dropped whole.
      if (char === "[") this.escape = { kind: "csi", params: "" };
      else if (char === "O") this.escape = { kind: "ss3" };
      else this.escape = { kind: "none" };
      return;
    }
    if (state.kind === "ss3") {
      this.escape = { kind: "none" };
      this.finalKey(char, "");
      return;
    }
    if (state.kind === "csi") {
      // Parameter and intermediate bytes (0x20–0x3F) continue the sequence; a byte 0x40–0x7E ends it.
      if (char >= " " && char <= "?") {
        state.params += char;
        return;
      }
      this.escape = { kind: "none" };
      if (char >= "@" && char <= "~") this.finalKey(char, state.params);
    }
  }

  /** A complete CSI/SS3 sequence; everything not listed (Up, Down, F-keys, paste markers…) does nothing. */
  private finalKey(final: string, params: string): void {
    const code = params.split(";")[0];
    if (final === "D") this.cursor = Math.max(0, this.cursor - 1);
    else if (final === "C") this.cursor = Math.min(this.chars.length, this.cursor + 1);
    else if (final === "H" || (final === "~" && (code === "1" || code === "7"))) this.cursor = 0;
    else if (final === "F" || (final === "~" && (code === "4" || code === "8"))) this.cursor = this.chars.length;
    else if (final === "~" && code === "3") this.deleteForward();
  }

  private deleteForward(): void {
    if (this.cursor < this.chars.length) this.chars.splice(this.cursor, 1);
  }
}
