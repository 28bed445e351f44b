import { CookieJar, setCookieLines, visit, type Visit } from "./client.ts";

/**
 * One visitor with a browser's cookie jar: every cookie a response set goes back on the next
 * request. Remembers which backend served each request (cutover's `x-cutover-backend`, on
 * with CUTOVER_RESPONSE_HEADERS in the suite's edge) and each response's Set-Cookie lines.
 */
export class Browser {
  readonly jar = new CookieJar();
  readonly served: string[] = [];
  readonly setCookies: string[][] = [];

  readonly #port: number;
  readonly #https: boolean;

  /** A visitor of cutover on `port`, over TLS unless `https` is false. */
  constructor(port: number, options: { readonly https: boolean } = { https: true }) {
    this.#port = port;
    this.#https = options.https;
  }

  async visit(target: string, headers: Record<string, string> = {}): Promise<Visit> {
    const cookie = this.jar.header();
    const visited = await visit(this.#port, target, { https: this.#https, headers: { ...(cookie === "" ? {} : { cookie }), ...headers } });
    this.jar.take(visited);
    this.served.push(String(visited.headers["x-cutover-backend"]));
    this.setCookies.push(setCookieLines(visited));
    return visited;
  }

  /** The Set-Cookie lines for cookie `name`, per response. */
  cookieLines(name: string): string[][] {
    return this.setCookies.map((lines) => lines.filter((line) => line.startsWith(`${name}=`)));
  }
}
