/** DynamoDB refused a call: `code` is its exception name, e.g. ConditionalCheckFailedException. */
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
