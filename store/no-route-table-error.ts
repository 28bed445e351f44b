/** No route table is configured at all. */
export class NoRouteTableError extends Error {
  override readonly name = "NoRouteTableError";
  readonly source: string;
  constructor(source: string) {
    super(`No route table in ${source}`);
    this.source = source;
  }
}
