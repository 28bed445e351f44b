import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteTable } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { startCluster, type Cluster } from "../support/isolates.ts";

/**
 * Cloudflare Access in front of /_cutover/: the Worker verifies `Cf-Access-Jwt-Assertion`
 * against the team's keys, served here by a local key server, and maps identities to roles.
 */
describe("the dashboard behind Cloudflare Access", () => {
  let keys: http.Server;
  let cluster: Cluster;
  let team = "";
  const aud = "a1b2c3d4e5f6-test-aud";
  let signer: CryptoKeyPair;
  let stranger: CryptoKeyPair;
  let keyFetches = 0;

  const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64url");
  async function jwt(claims: Record<string, unknown>, pair = signer, kid = "key-1"): Promise<string> {
    const head = b64url(JSON.stringify({ alg: "RS256", kid, typ: "JWT" }));
    const body = b64url(JSON.stringify({ iss: team, aud: [aud], exp: Math.floor(Date.now() / 1000) + 600, iat: Math.floor(Date.now() / 1000), ...claims }));
    const signature = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", pair.privateKey, new TextEncoder().encode(`${head}.${body}`)));
    return `${head}.${body}.${b64url(signature)}`;
  }

  beforeAll(async () => {
    const algorithm = { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
    signer = (await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
    stranger = (await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
    const jwk = { ...(await crypto.subtle.exportKey("jwk", signer.publicKey)), kid: "key-1", alg: "RS256", use: "sig" };
    keys = http.createServer((req, res) => {
      if (req.url !== "/cdn-cgi/access/certs") return void res.writeHead(404).end();
      keyFetches++;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => keys.listen(0, "127.0.0.1", resolve));
    team = `http://127.0.0.1:${(keys.address() as AddressInfo).port}`;
    const table = validateRouteTable({ backends: { legacy: { url: "http://127.0.0.1:9" } }, default: "legacy", routes: [{ id: "orders", match: { path: "/orders/*" }, to: "legacy" }] });
    if (!table.ok) throw new Error("table");
    cluster = await startCluster({
      isolates: 1,
      table: table.value as RouteTable,
      vars: {
        CUTOVER_ACCESS_TEAM_DOMAIN: team,
        CUTOVER_ACCESS_AUD: aud,
        CUTOVER_ACCESS_ROLES: JSON.stringify({ operator: ["ops@example.com", "group:sre"], viewer: ["*@example.com"] }),
        CUTOVER_SESSION_SECRET: "s".repeat(40),
        // The dashboard's own origin: localhost, where the proxy is 127.0.0.1.
        CUTOVER_ADMIN_HOSTS: "localhost",
      },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
    await new Promise((resolve) => keys?.close(resolve));
  });

  const open = (path: string, assertion?: string, extra: Record<string, string> = {}) =>
    fetch(`${(cluster.urls[0] ?? "").replace("127.0.0.1", "localhost")}/_cutover${path}`, { redirect: "manual", headers: { ...(assertion ? { "cf-access-jwt-assertion": assertion } : {}), ...extra } });

  it("lets in an operator by email and by group, a viewer by domain, with the buttons their role allows", async () => {
    const operator = await open("/routes/orders", await jwt({ email: "ops@example.com" }));
    expect(operator.status).toBe(200);
    const page = await operator.text();
    expect(page).toContain("ops@example.com · operator");
    expect(page).toContain("/_cutover/actions/weights/preview");
    expect(operator.headers.get("set-cookie")).toMatch(/^cutover_session=v2\..*HttpOnly; SameSite=Strict/);
    expect(await (await open("/", await jwt({ email: "lee@corp.example", groups: ["sre"] }))).text()).toContain("lee@corp.example · operator");
    const viewer = await (await open("/routes/orders", await jwt({ email: "val@example.com" }))).text();
    expect(viewer).toContain("val@example.com · viewer");
    expect(viewer).not.toContain("/_cutover/actions/");
  });

  it("sends anything else to sign-in: no assertion, another audience, an expired one, a key it does not know, an identity the roles do not name", async () => {
    for (const assertion of [
      undefined,
      await jwt({ email: "ops@example.com", aud: ["another-app"] }),
      await jwt({ email: "ops@example.com", exp: Math.floor(Date.now() / 1000) - 10 }),
      await jwt({ email: "ops@example.com" }, stranger, "key-1"),
      await jwt({ email: "ops@example.com" }, signer, "key-unknown"),
      await jwt({ email: "eve@elsewhere.test" }),
      "not.a.jwt",
    ]) {
      const response = await open("/", assertion);
      expect(response.status, String(assertion).slice(0, 40)).toBe(303);
      expect(response.headers.get("location")).toBe("/_cutover/login");
    }
    // The keys are cached: an unknown kid re-reads them, a known one does not.
    expect(keyFetches).toBeLessThanOrEqual(2);
  });

  it("fetches the team's keys at most once a minute however many unknown kids anyone sends", async () => {
    const before = keyFetches;
    for (let i = 0; i < 20; i++) {
      const response = await open("/", await jwt({ email: "ops@example.com" }, signer, `made-up-${i}`));
      expect(response.status).toBe(303);
    }
    expect(keyFetches - before).toBeLessThanOrEqual(1);
    // A real operator still gets in meanwhile.
    expect((await open("/", await jwt({ email: "ops@example.com" }))).status).toBe(200);
  });
});
