/**
 * Where operator commands write: plain lines for pipes and logs, and on a TTY a spinner
 * line that each new line replaces. A tiny hand-rolled one; no dependency needed.
 */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[K';

export class Terminal {
  #frame = 0;
  #status: (() => string) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly out: Output) {}

  get interactive(): boolean {
    return this.out.isTTY === true;
  }

  /** A finished line; on a TTY it goes above the spinner. */
  line(text: string): void {
    if (this.#status !== undefined) this.out.write(CLEAR_LINE);
    this.out.write(`${text}\n`);
    this.draw();
  }

  /** Shows (TTY only) a spinner with this text until stop(); `text` may be recomputed each frame. */
  spin(text: () => string, intervalMs = 100): void {
    if (!this.interactive) return;
    this.#status = text;
    this.draw();
    this.#timer = setInterval(() => {
      this.#frame = (this.#frame + 1) % FRAMES.length;
      this.draw();
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#status !== undefined) this.out.write(CLEAR_LINE);
    this.#status = undefined;
  }

  private draw(): void {
    if (this.#status === undefined) return;
    this.out.write(`${CLEAR_LINE}${FRAMES[this.#frame]} ${this.#status()}`);
  }
}
