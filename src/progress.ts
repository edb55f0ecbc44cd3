// Progress on a terminal: a bar with the elapsed time and an estimate of the time left, redrawn in
// place on a TTY; on anything else (a pipe, a log file, a CI job) plain lines only, with no carriage
// returns or ANSI codes. Library code does not print: trainers and the evaluation report through
// callbacks, and the command line or the experiment runner feeds those into a reporter from here.

import { exitIfOrphaned } from './parent-watch.ts';

/** Where a reporter writes: process.stderr, or anything with `write` (tests). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** What the bar counts, shown before it ("GPS iteration", "runs"). */
  label: string;
  /** Units of work in all; 0 or less when not known yet (no bar, no estimate). */
  total: number;
  /** Work already done before this process started (a resumed run): it does not count towards the rate. */
  start?: number;
  stream?: ProgressStream;
  /** Redraw a bar in place (default: whether the stream is a TTY). */
  interactive?: boolean;
  /** Print nothing at all (--quiet). */
  quiet?: boolean;
  /** Milliseconds; injectable for tests. */
  now?: () => number;
}

/** "4.2 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')} min`;
}

const BAR_WIDTH = 24;
/** Fewer redraws than this apart are skipped (a worker pool can finish hundreds of blocks a second). */
const REDRAW_MS = 100;

export class ProgressReporter {
  readonly interactive: boolean;
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  private readonly started: number;
  private done: number;
  private readonly start: number;
  private detail = '';
  private lastDraw = -Infinity;
  private drawn = false;
  private finished = false;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.interactive = !options.quiet && (options.interactive ?? this.stream.isTTY === true);
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.start = options.start ?? 0;
    this.done = this.start;
  }

  get total(): number {
    return this.options.total;
  }

  /** Changes the amount of work in all (it may only become known on the way). */
  setTotal(total: number): void {
    this.options.total = total;
    this.redraw(true);
  }

  elapsedSeconds(): number {
    return (this.now() - this.started) / 1000;
  }

  /** Seconds left at the rate so far, or NaN before any work is done or without a total. */
  etaSeconds(): number {
    const { total } = this.options;
    const doneHere = this.done - this.start;
    if (total <= 0 || doneHere <= 0) return NaN;
    return (this.elapsedSeconds() * Math.max(0, total - this.done)) / doneHere;
  }

  /** "3/10, 4.2 s elapsed, about 9.8 s left": the state in words, for plain lines. */
  summary(): string {
    const { total } = this.options;
    const parts = [total > 0 ? `${this.done}/${total}` : `${this.done}`, `${formatDuration(this.elapsedSeconds())} elapsed`];
    const eta = this.etaSeconds();
    if (Number.isFinite(eta) && this.done < total) parts.push(`about ${formatDuration(eta)} left`);
    return parts.join(', ');
  }

  /** Work done so far (absolute), with an optional note shown after the bar. Only a TTY shows it. */
  update(done: number, detail?: string): void {
    exitIfOrphaned(); // a long synchronous run reports progress more often than its timers fire
    this.done = done;
    if (detail !== undefined) this.detail = detail;
    this.redraw(false);
  }

  /** What is going on now, shown after the bar on a TTY (the amount done stays). */
  note(detail: string): void {
    this.update(this.done, detail);
  }

  /** Adds `count` units of work done. */
  advance(count = 1, detail?: string): void {
    this.update(this.done + count, detail);
  }

  /** A line that stays: on a TTY above the bar, elsewhere as it is. */
  line(message: string): void {
    exitIfOrphaned();
    if (this.options.quiet) return;
    this.clear();
    this.stream.write(`${message}\n`);
    this.redraw(true);
  }

  /** Marks `done` and prints `message` with the state in words: one plain line per iteration or phase. */
  phase(done: number, message: string): void {
    this.done = done;
    this.line(`${message} [${this.summary()}]`);
  }

  /** Removes the bar (a TTY keeps no trace of it); nothing is drawn afterwards. */
  finish(): void {
    this.clear();
    this.finished = true;
  }

  private clear(): void {
    if (this.interactive && this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }

  private redraw(force: boolean): void {
    if (!this.interactive || this.finished) return;
    const t = this.now();
    if (!force && t - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = t;
    const { total, label } = this.options;
    let bar = '';
    if (total > 0) {
      const filled = Math.round((BAR_WIDTH * Math.min(this.done, total)) / total);
      bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] `;
    }
    let text = `${label} ${bar}${this.summary()}${this.detail ? `  ${this.detail}` : ''}`;
    // A pseudo-terminal may report no width (0): then assume a common one.
    const columns = (this.stream.columns ?? 0) >= 40 ? this.stream.columns! : 100;
    if (text.length > columns - 1) text = `${text.slice(0, Math.max(0, columns - 2))}…`;
    this.stream.write(`\r${text}\x1b[K`);
    this.drawn = true;
  }
}
