// UserError marks a problem with what the user supplied (a flag, a config, an expression, a file).
// The CLI prints its message as one line and exits non-zero; anything else is a bug and keeps its stack.
/** A mistake in the user's input or files: the CLI prints its message as one line and exits 1. */
export class UserError extends Error {
  override readonly name = 'UserError';
}

/** Raised when an objective returns NaN or ±Inf where a finite number is required. */
export class NonFiniteError extends UserError {}

/** An objective that is not finite at the run's starting point: a run that never began, not a bug. */
export class NonFiniteStartError extends NonFiniteError {}
