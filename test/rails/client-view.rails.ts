import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CLIENT_IP, json, visit } from "./support/client.ts";
import { startEdge, type Edge } from "./support/edge.ts";
import { PUBLIC_HOST } from "./support/rails-server.ts";

/** What `request.*` says in the Rails app (ClientController#show). */
interface RailsView {
  remote_ip: string;
  ip: string;
  host: string;
  port: number;
  ssl: boolean;
  url: string;
  base_url: string;
}

/**
 * The client as Rails sees it behind cutover: its real address, the public host and scheme,
 * whatever forwarding headers a client sends itself; force_ssl's redirects.
 */
describe("the client as Rails sees it", () => {
  let edge: Edge;

  beforeAll(async () => {
    edge = await startEdge({
      bundleRoot: inject("cutoverBundleRoot"),
      table: { backends: { legacy: { url: `http://127.0.0.1:${inject("railsPort")}` } }, default: "legacy", routes: [] },
    });
  });

  afterAll(async () => {
    await edge?.stop();
  });

  it("sees the client's address and the public host and scheme over http", async () => {
    const view = json<RailsView>(await visit(edge.port, "/client?q=1"));
    expect(view).toEqual({ remote_ip: CLIENT_IP, ip: CLIENT_IP, host: PUBLIC_HOST, port: 80, ssl: false, url: `http://${PUBLIC_HOST}/client?q=1`, base_url: `http://${PUBLIC_HOST}` });
  });

  it("sees https when the client came over TLS", async () => {
    const view = json<RailsView>(await visit(edge.port, "/client", { https: true }));
    expect(view).toMatchObject({ remote_ip: CLIENT_IP, host: PUBLIC_HOST, port: 443, ssl: true, url: `https://${PUBLIC_HOST}/client` });
  });

  it("sees an IPv6 client's address", async () => {
    const view = json<RailsView>(await visit(edge.port, "/client", { clientIp: "2001:db8::7" }));
    expect(view.remote_ip).toBe("2001:db8::7");
  });

  // Every spelling a client might use to claim another address, host or scheme. Rack hands
  // the app `X_Forwarded_For` as HTTP_X_FORWARDED_FOR, the same variable as X-Forwarded-For;
  // Rails reads Client-IP too (and raises IpSpoofAttackError, a 500, when it disagrees with
  // X-Forwarded-For).
  const SPOOFS: readonly (readonly [string, string])[] = [
    ["X-Forwarded-For", "6.6.6.6"],
    ["X_Forwarded_For", "6.6.6.6"],
    ["x-forwarded-for", "6.6.6.6, 10.0.0.1"],
    ["Client-IP", "6.6.6.6"],
    ["Client_IP", "6.6.6.6"],
    ["X-Real-IP", "6.6.6.6"],
    ["X_Real_IP", "6.6.6.6"],
    ["X-Client-IP", "6.6.6.6"],
    ["True-Client-IP", "6.6.6.6"],
    ["X-Cluster-Client-IP", "6.6.6.6"],
    ["Forwarded", "for=6.6.6.6;host=evil.example;proto=https"],
    ["X-Forwarded-Host", "evil.example"],
    ["X_Forwarded_Host", "evil.example"],
    ["X-Forwarded-Proto", "https"],
    ["X_Forwarded_Proto", "https"],
    ["X-Forwarded-Ssl", "on"],
    ["X_Forwarded_Ssl", "on"],
    ["X-Forwarded-Scheme", "https"],
    ["X-Forwarded-Port", "8443"],
    ["X-Original-Forwarded-For", "6.6.6.6"],
  ];

  it.each(SPOOFS)("sees the real client when the client sends %s: %s", async (name, value) => {
    const visited = await visit(edge.port, "/client", { headers: { [name]: value } });
    expect(visited.status).toBe(200);
    expect(json<RailsView>(visited)).toMatchObject({ remote_ip: CLIENT_IP, ip: CLIENT_IP, host: PUBLIC_HOST, port: 80, ssl: false, url: `http://${PUBLIC_HOST}/client` });
  });

  it("sees the real client when the client sends every spoof at once, some of them twice", async () => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of SPOOFS) headers[name] = name.toLowerCase() === "x-forwarded-for" ? [value, "7.7.7.7"] : value;
    const visited = await visit(edge.port, "/client", { headers });
    expect(visited.status).toBe(200);
    expect(json<RailsView>(visited)).toMatchObject({ remote_ip: CLIENT_IP, host: PUBLIC_HOST, ssl: false });
  });

  it("lets Rails refuse a public host it does not serve (config.hosts checks X-Forwarded-Host)", async () => {
    const visited = await visit(edge.port, "/client", { headers: { host: "evil.example" } });
    expect(visited.status).toBe(403);
  });

  describe("force_ssl", () => {
    it("redirects a client that came over http to https on the public host", async () => {
      const visited = await visit(edge.port, "/secure/page?x=1");
      expect(visited.status).toBe(301);
      expect(visited.headers.location).toBe(`https://${PUBLIC_HOST}/secure/page?x=1`);
    });

    it("serves the page the redirect names to a client over TLS: no redirect loop", async () => {
      const first = await visit(edge.port, "/secure/page?x=1");
      const location = new URL(String(first.headers.location));
      const second = await visit(edge.port, location.pathname + location.search, { https: true });
      expect(second.status).toBe(200);
      expect(json<RailsView>(second)).toMatchObject({ ssl: true, url: `https://${PUBLIC_HOST}/secure/page?x=1` });
    });

    it.each([
      ["X-Forwarded-Proto", "https"],
      ["X_Forwarded_Proto", "https"],
      ["X-Forwarded-Ssl", "on"],
      ["X-Forwarded-Scheme", "https"],
    ])("still redirects a client over http that claims https in %s", async (name, value) => {
      const visited = await visit(edge.port, "/secure/page", { headers: { [name]: value } });
      expect(visited.status).toBe(301);
      expect(visited.headers.location).toBe(`https://${PUBLIC_HOST}/secure/page`);
    });

    it("keeps the public host in the Location of the app's own redirects", async () => {
      const visited = await visit(edge.port, "/secure/elsewhere", { https: true });
      expect(visited.status).toBe(302);
      expect(visited.headers.location).toBe(`https://${PUBLIC_HOST}/secure/page`);
    });
  });
});
