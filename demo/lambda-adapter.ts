import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { verifySigV4, type VerifyOptions } from "./sigv4-verify.ts";

export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/**
 * Serves a Lambda handler over HTTP the way a Lambda function URL does: each request becomes
 * an API Gateway HTTP API (payload 2.0) event, the handler's result becomes the response.
 * With `iam`, it is a function URL with AuthType AWS_IAM: a request whose SigV4 signature does
 * not verify gets 403, as from AWS.
 * https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
 */
export async function serveLambda(
  handler: LambdaHandler,
  options: { port?: number; iam?: Omit<VerifyOptions, "now" | "service"> } = {},
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (options.iam) {
        const verified = verifySigV4({ method: req.method ?? "GET", target: req.url ?? "/", headers: req.headers, body }, { ...options.iam, service: "lambda", now: new Date() });
        if (!verified.ok) {
          console.error(`[lambda] refused an unsigned or badly signed request: ${verified.reason}`);
          res.writeHead(403, { "content-type": "application/json", "x-amzn-errortype": "AccessDeniedException" });
          res.end(JSON.stringify({ Message: "Forbidden" }));
          return;
        }
      }
      const event = toEvent(req, body);
      handler(event, lambdaContext())
        .then((result) => writeResult(res, result))
        .catch((error: unknown) => {
          console.error("[lambda] handler failed:", error);
          res.writeHead(502, { "content-type": "application/json", "x-amzn-errortype": "Unhandled" });
          res.end(JSON.stringify({ message: "Internal Server Error" }));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function toEvent(req: http.IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? "/", "http://lambda");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && name !== "cookie") headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const now = new Date();
  const textual = /^(text\/|application\/(json|x-www-form-urlencoded|xml))/.test(headers["content-type"] ?? "");
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies: req.headers.cookie ? req.headers.cookie.split(/;\s*/) : undefined,
    headers,
    queryStringParameters: url.search ? query : undefined,
    requestContext: {
      accountId: "anonymous",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "local",
      http: {
        method: req.method ?? "GET",
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : textual ? body.toString("utf8") : body.toString("base64"),
    isBase64Encoded: body.length > 0 && !textual,
  };
}

function writeResult(res: http.ServerResponse, result: APIGatewayProxyResultV2): void {
  // A function URL turns a bare value into a 200 JSON response.
  if (typeof result === "string" || result.statusCode === undefined) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(typeof result === "string" ? result : JSON.stringify(result));
    return;
  }
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies?.length) headers["set-cookie"] = result.cookies;
  res.writeHead(result.statusCode, headers);
  res.end(result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8"));
}

function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "accounts",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:accounts",
    memoryLimitInMB: "128",
    awsRequestId: randomUUID(),
    logGroupName: "/aws/lambda/accounts",
    logStreamName: "local",
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
