// Progress on stderr, so that stdout holds only the result (and pipes cleanly into jq or a file).
// On a terminal one line is redrawn in place (with a spinner while waiting); otherwise, in a log or CI,
// plain lines are written, only when something changes and now and then while waiting.
import type { Output } from './io.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[2K';
/** Without a terminal, "still running" is repeated this often. */
const HEARTBEAT_MS = 15_000;

export function formatElapsed(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
}

/** `1,234,567`, whatever the machine's locale. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A status that changes while a check waits: `⠹ chk_… running · 4.2 s`. */
export class StatusLine {
  private text = '';
  private frame = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastLine = 0;
  private readonly t0 = Date.now();

  constructor(
    private readonly out: Output,
    private readonly enabled: boolean,
  ) {}

  set(text: string): void {
    if (!this.enabled || text === this.text) return;
    this.text = text;
    if (this.out.isTTY) {
      this.timer ??= setInterval(() => this.draw(), 100).unref();
      this.draw();
    } else {
      this.line();
    }
  }

  /** Called while polling: without a terminal, a line every HEARTBEAT_MS says the wait goes on. */
  tick(): void {
    if (this.enabled && !this.out.isTTY && this.text && Date.now() - this.lastLine >= HEARTBEAT_MS)
      this.line();
  }

  /** A message of its own, above the status line. */
  note(text: string): void {
    if (!this.enabled) return;
    if (this.out.isTTY) this.out.write(CLEAR_LINE);
    this.out.write(`${text}\n`);
    if (this.out.isTTY && this.text) this.draw();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.enabled && this.out.isTTY && this.text) this.out.write(CLEAR_LINE);
    this.text = '';
  }

  private elapsed(): string {
    return formatElapsed(Date.now() - this.t0);
  }

  private draw(): void {
    const spin = SPINNER[this.frame++ % SPINNER.length] ?? '';
    this.out.write(`${CLEAR_LINE}${spin} ${this.text} · ${this.elapsed()}`);
  }

  private line(): void {
    this.lastLine = Date.now();
    this.out.write(`${this.text} · ${this.elapsed()}\n`);
  }
}

/** `[##########··········]  12,000 / 40,000 rows  30%  8,512 rows/s` */
export function renderBar(done: number, total: number, rowsPerSecond: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'·'.repeat(width - filled)}]`;
  return `${bar} ${formatCount(done)} / ${formatCount(total)} rows  ${Math.floor(fraction * 100)}%  ${formatCount(rowsPerSecond)} rows/s`;
}

/** Rows sent out of a total, with the rate so far. */
export class ProgressBar {
  private readonly t0 = Date.now();
  private drawn = false;

  constructor(
    private readonly out: Output,
    private readonly enabled: boolean,
    private readonly total: number,
  ) {}

  update(done: number): void {
    if (!this.enabled) return;
    const seconds = Math.max((Date.now() - this.t0) / 1000, 0.001);
    const text = renderBar(done, this.total, done / seconds);
    if (this.out.isTTY) {
      this.out.write(`${CLEAR_LINE}${text}`);
      this.drawn = true;
    } else {
      this.out.write(`${text}\n`);
    }
  }

  stop(): void {
    if (this.enabled && this.out.isTTY && this.drawn) this.out.write('\n');
  }
}
