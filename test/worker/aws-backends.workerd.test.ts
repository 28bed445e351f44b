import { describe, expect, inject, it } from "vitest";
import { AWS_TEST_CREDENTIALS } from "../support/aws-test-credentials.ts";
import { get, origin, received, send, table, testId } from "../support/worker-harness.ts";

const lambdaPort = inject("lambdaPort");
const s3Port = inject("s3Port");
const credentials = { AWS_ACCESS_KEY_ID: AWS_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: AWS_TEST_CREDENTIALS.secretAccessKey };
const iam = (service: string, region = "us-east-1") => ({ type: "aws-iam", region, service });

const routes = table({
  backends: {
    fn: { url: origin(lambdaPort), auth: iam("lambda") },
    "fn-wrong-service": { url: origin(lambdaPort), auth: iam("execute-api") },
    "fn-wrong-region": { url: origin(lambdaPort), auth: iam("lambda", "eu-west-1") },
    assets: { type: "s3", url: origin(s3Port), stripPrefix: "/assets", addPrefix: "/bucket", auth: iam("s3") },
    versioned: { type: "s3", url: origin(s3Port), stripPrefix: "/versioned", addPrefix: "/bucket", auth: iam("s3"), query: ["versionId"] },
  },
  routes: [
    { id: "fn", match: { path: "/api/*" }, to: "fn" },
    { id: "wrong-service", match: { path: "/wrong-service/*" }, to: "fn-wrong-service" },
    { id: "wrong-region", match: { path: "/wrong-region/*" }, to: "fn-wrong-region" },
    { id: "assets", match: { path: "/assets/*" }, to: "assets" },
    { id: "versioned", match: { path: "/versioned/*" }, to: "versioned" },
  ],
});

async function lambdaLog(id: string) {
  return received(lambdaPort, id);
}

describe("IAM-signed Lambda function URLs", () => {
  it("signs a GET whose query has repeated keys, empty values, spaces, pluses and reserved characters", async () => {
    const id = testId();
    const response = await send(routes, get("/api/orders?b=2&a=1&a=0&empty=&flag&sp=a+b&plus=%2B&slash=%2f&utf=%E2%9C%93&star=*", { "x-test-id": id }), credentials);
    expect(response.status).toBe(200);
    const [seen] = await lambdaLog(id);
    expect(seen?.sigv4).toBe("ok");
    expect(seen?.url).toBe("/api/orders?b=2&a=1&a=0&empty=&flag=&sp=a%20b&plus=%2B&slash=%2F&utf=%E2%9C%93&star=%2A");
  });

  it("signs a POST with its body hashed into the signature", async () => {
    const id = testId();
    const body = JSON.stringify({ order: 42, note: "ünïcode" });
    const response = await send(routes, get("/api/orders", { "x-test-id": id, "content-type": "application/json" }, { method: "POST", body }), credentials);
    expect(response.status).toBe(200);
    const [seen] = await lambdaLog(id);
    expect(seen).toMatchObject({ sigv4: "ok", method: "POST", bodyBytes: new TextEncoder().encode(body).byteLength });
  });

  it("keeps the client's Authorization header, moved to x-forwarded-authorization", async () => {
    const id = testId();
    await send(routes, get("/api/me", { "x-test-id": id, authorization: "Bearer user-session-token" }), credentials);
    const [seen] = await lambdaLog(id);
    expect(seen?.sigv4).toBe("ok");
    expect(seen?.headers["x-forwarded-authorization"]).toBe("Bearer user-session-token");
    expect(String(seen?.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDCUTOVERTEST\//);
  });

  it("refuses a body over Lambda's 6 MB limit with 413, before anything reaches the backend", async () => {
    const id = testId();
    const big = new Uint8Array(7 * 1024 * 1024).fill(120);
    const response = await send(routes, get("/api/upload", { "x-test-id": id, accept: "application/json" }, { method: "POST", body: big }), credentials);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: "payload_too_large", message: "The request body is larger than 6 MB, the most that AWS Lambda accepts.", backend: "fn" });
    expect(await lambdaLog(id)).toEqual([]);
  });

  it("is rejected by AWS when signed for the wrong service or region", async () => {
    for (const [path, reason] of [
      ["/wrong-service/x", "credential scope service execute-api, expected lambda"],
      ["/wrong-region/x", "credential scope region eu-west-1, expected us-east-1"],
    ]) {
      const id = testId();
      const response = await send(routes, get(path as string, { "x-test-id": id }), credentials);
      expect(response.status).toBe(403);
      expect((await lambdaLog(id))[0]?.sigv4).toBe(reason);
    }
  });

  it("answers 502 with a clear page when the Worker has no AWS credentials", async () => {
    const response = await send(routes, get("/api/x", { accept: "application/json" }));
    expect(response.status).toBe(502);
    expect((await response.json()) as { message: string }).toMatchObject({ message: expect.stringContaining("needs AWS credentials") });
  });
});

describe("S3 static backends", () => {
  it("serves the index document for / and for directories, signed for a private bucket", async () => {
    const id = testId();
    const home = await send(routes, get("/assets/", { "x-test-id": id }), credentials);
    expect(await home.text()).toBe("<h1>home</h1>");
    const docs = await send(routes, get("/assets/docs/", { "x-test-id": id }), credentials);
    expect(await docs.text()).toBe("<h1>docs</h1>");
    expect((await received(s3Port, id)).map((r) => [r.url, r.sigv4])).toEqual([
      ["/bucket/index.html", "ok"],
      ["/bucket/docs/index.html", "ok"],
    ]);
  });

  it("passes ETag / If-None-Match and Range through", async () => {
    const first = await send(routes, get("/assets/app.js"), credentials);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    await first.arrayBuffer();
    const cached = await send(routes, get("/assets/app.js", { "if-none-match": etag as string }), credentials);
    expect(cached.status).toBe(304);
    const partial = await send(routes, get("/assets/app.js", { range: "bytes=0-6" }), credentials);
    expect(partial.status).toBe(206);
    expect(await partial.text()).toBe("console");
  });

  it("sends no query parameter unless the backend allows it: a client cannot make S3 serve an object as HTML or list the bucket", async () => {
    const id = testId();
    const hostile = "?response-content-type=text%2Fhtml&response-content-disposition=inline&list-type=2&acl&versionId=3";
    const plain = await send(routes, get(`/assets/app.js${hostile}`, { "x-test-id": id }), credentials);
    expect(plain.headers.get("content-type")).toBe("text/javascript");
    await plain.arrayBuffer();
    const allowed = await send(routes, get(`/versioned/app.js${hostile}`, { "x-test-id": id }), credentials);
    await allowed.arrayBuffer();
    expect((await received(s3Port, id)).map((r) => [r.url, r.sigv4])).toEqual([
      ["/bucket/app.js", "ok"],
      ["/bucket/app.js?versionId=3", "ok"],
    ]);
  });

  it("redirects the prefix itself to the directory (/assets → /assets/), and serves the index document for that", async () => {
    const id = testId();
    const bare = await send(routes, get("/assets?x=1", { "x-test-id": id }), credentials);
    expect(bare.status).toBe(308);
    expect(bare.headers.get("location")).toBe("/assets/?x=1");
    await bare.arrayBuffer();
    expect(await received(s3Port, id)).toEqual([]);
    const directory = await send(routes, get("/assets/", { "x-test-id": id }), credentials);
    expect(await directory.text()).toBe("<h1>home</h1>");
  });

  it("answers 405 to anything but GET and HEAD, without contacting the bucket", async () => {
    const id = testId();
    const response = await send(routes, get("/assets/app.js", { "x-test-id": id }, { method: "PUT", body: "x" }), credentials);
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
    expect(await received(s3Port, id)).toEqual([]);
  });
});

describe("payload limits reported by the backend", () => {
  it("marks a 413 from a backend as a payload limit", async () => {
    const response = await send(table({ routes: [{ id: "s", match: { path: "/status/*" }, to: "new" }] }), get("/status/413"));
    expect(response.status).toBe(413);
    expect(response.headers.get("x-cutover-error")).toBe("payload_too_large");
  });
});
