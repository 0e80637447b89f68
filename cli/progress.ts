import { humanSize, printable } from "./format.js";

/**
 * One progress bar per running upload, redrawn in place on a terminal (stderr). Lines printed meanwhile (the URLs
 * on stdout, errors on stderr) go through `log`, which lifts the bars, prints, and draws them again below.
 */
export class ProgressBoard {
  private readonly bars = new Map<number, { label: string; sent: number; total: number; status: string | null }>();
  private drawnLines = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly width = 24,
  ) {}

  start(id: number, label: string, total: number): void {
    this.bars.set(id, { label: printable(label), sent: 0, total, status: null });
    this.scheduleDraw();
  }

  update(id: number, sent: number, total: number): void {
    const bar = this.bars.get(id);
    if (!bar) return;
    bar.sent = sent;
    bar.total = total;
    this.scheduleDraw();
  }

  /** Shows `status` ("converting to JPEG") instead of the percentage and byte count; null shows them again. */
  setStatus(id: number, status: string | null): void {
    const bar = this.bars.get(id);
    if (!bar) return;
    bar.status = status;
    this.scheduleDraw();
  }

  end(id: number): void {
    this.bars.delete(id);
    this.redraw();
  }

  /** Prints something without tearing the bars. */
  log(print: () => void): void {
    this.erase();
    print();
    this.draw();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.erase();
    this.bars.clear();
  }

  /** At most ~12 redraws a second, however many chunks go out. */
  private scheduleDraw(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.redraw();
    }, 80);
  }

  private redraw(): void {
    this.erase();
    this.draw();
  }

  private erase(): void {
    if (this.drawnLines === 0) return;
    this.stream.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    const columns = this.stream.columns || 80;
    const labelWidth = Math.max(8, Math.min(30, columns - this.width - 30));
    let out = "";
    for (const { label, sent, total, status } of this.bars.values()) {
      const ratio = total > 0 ? Math.min(1, sent / total) : 0;
      const filled = Math.round(ratio * this.width);
      const name = label.length > labelWidth ? `…${label.slice(-(labelWidth - 1))}` : label.padEnd(labelWidth);
      const done = status ?? `${String(Math.floor(ratio * 100)).padStart(3)}% ${humanSize(sent)}/${humanSize(total)}`;
      const line = `${name} [${"#".repeat(filled)}${"-".repeat(this.width - filled)}] ${done}`;
      out += `${line.slice(0, columns - 1)}\n`;
    }
    this.stream.write(out);
    this.drawnLines = this.bars.size;
  }
}
