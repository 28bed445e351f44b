/**
 * A DynamoDB call failed: `code` is DynamoDB's exception name (ConditionalCheckFailedException,
 * ResourceNotFoundException, …) with the HTTP status it answered, or NetworkError with status 0
 * when no answer came (the call may or may not have taken effect).
 */
export class DynamoRequestError extends Error {
  override readonly name = "DynamoRequestError";
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status: number) {
    super(`${code}: ${message}`);
    this.code = code;
    this.status = status;
  }
}
