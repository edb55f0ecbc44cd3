// UserError marks a problem with what the user supplied (a flag, a config, an expression, a family
// module, a file). The CLI's one error boundary (src/cli/main.ts) prints its message as one line
// `error: <message>` and exits 1; anything else is a bug: `error: internal error: <message>`, exit 2,
// and its stack with L2O_DEBUG=1. `reportError` below is that boundary's formatting.
/** A mistake in the user's input or files: the CLI prints its message as one line and exits 1. */
export class UserError extends Error {
  override readonly name = 'UserError';
  /** One extra line the CLI prints as `hint: …`, for the rare mistake where the fix is not obvious from the message. */
  readonly hint?: string;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.hint) this.hint = options.hint;
  }
}

/** Raised when an objective returns NaN or ±Inf where a finite number is required. */
export class NonFiniteError extends UserError {}

/** An objective that is not finite at the run's starting point: a run that never began, not a bug. */
export class NonFiniteStartError extends NonFiniteError {}

/** Exit code of a user's mistake (a UserError, a flag yargs refused). */
export const USER_ERROR_EXIT = 1;
/** Exit code of a bug: any other error, an unhandled rejection, an uncaught exception. */
export const INTERNAL_ERROR_EXIT = 2;
/** The environment variable that makes the CLI print an error's stack trace. */
export const DEBUG_ENV = 'L2O_DEBUG';

/** Whether L2O_DEBUG asks for stack traces (set and not '', '0' or 'false'). */
export function debugRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[DEBUG_ENV];
  return value !== undefined && !['', '0', 'false'].includes(value.trim().toLowerCase());
}

/** Whether an error is the user's mistake: a UserError, or one rebuilt from a worker thread's. */
export function isUserError(error: unknown): error is UserError {
  // By name too: a family module that imports the installed package has that copy's UserError class.
  return error instanceof UserError || (error instanceof Error && error.name === 'UserError');
}

/** The first line of an error's message (a foreign message quoted inside one of ours). */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].trim();
}

/**
 * What the CLI prints for an error that reached its boundary, and the exit code: a user's mistake is
 * `error: <message>` (and at most a `hint:` line), exit 1; anything else is `error: internal error:
 * <message>` and how to see the stack, exit 2. With `debug` the stack follows either.
 */
export function reportError(error: unknown, debug: boolean): { exitCode: number; text: string } {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : undefined;
  if (isUserError(error)) {
    const lines = [`error: ${error.message.replace(/\s*\n\s*/g, ' ').trim()}`];
    if (error.hint) lines.push(`hint: ${error.hint}`);
    if (debug && stack) lines.push(stack);
    return { exitCode: USER_ERROR_EXIT, text: `${lines.join('\n')}\n` };
  }
  const message = firstLine(error) || (error instanceof Error ? error.name : 'unknown error');
  const lines = [`error: internal error: ${message}`];
  if (debug) lines.push(stack ?? `(no stack: the value thrown was ${typeof error === 'object' ? 'an object' : `a ${typeof error}`}, not an Error)`);
  else lines.push(`this is a bug in l2o, not in what you gave it; rerun with ${DEBUG_ENV}=1 to print its stack trace`);
  return { exitCode: INTERNAL_ERROR_EXIT, text: `${lines.join('\n')}\n` };
}
