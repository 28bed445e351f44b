/** An error that must end the CLI with a given exit code (`routes plan` ends errors with 1, like terraform). */
export class ExitCodeError extends Error {
  override readonly name = "ExitCodeError";
  readonly exitCode: number;
  constructor(exitCode: number, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.exitCode = exitCode;
  }
}

/** Exit code of a check whose answer is no: `shadow report --check` not ready, `rollout status --wait` not succeeded. */
export const EXIT_NOT_READY = 5;
