/** The admin API said no, or could not be reached. Carries the exit code the CLI ends with. */
export class AdminRequestError extends Error {
  override readonly name = "AdminRequestError";
  readonly status: number;
  readonly code: string;
  readonly body: Record<string, unknown>;
  constructor(status: number, code: string, message: string, body: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.body = body;
  }

  /** 2 invalid input or request, 3 someone else changed the routes first, 4 not allowed, 1 anything else. */
  get exitCode(): number {
    if (this.code === "stale_version") return 3;
    if (this.status === 400 || this.status === 404 || this.status === 409 || this.status === 413 || this.status === 428) return 2;
    if (this.status === 401 || this.status === 403) return 4;
    return 1;
  }
}
