import { describe, expect, it } from "vitest";
import { downstreamResponse, upstreamRequestHeaders } from "../../worker/headers.ts";

const facts = { clientIp: "203.0.113.9", proto: "https", host: "shop.example.com", requestId: "req-1", forwardedFor: "replace", underscoreHeaders: "keep" } as const;

describe("upstreamRequestHeaders", () => {
  it("sets the forwarding headers and the request id", () => {
    const headers = upstreamRequestHeaders(new Headers({ accept: "text/html" }), facts);
    expect(Object.fromEntries(headers)).toMatchObject({
      accept: "text/html",
      "x-forwarded-for": "203.0.113.9",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "shop.example.com",
      "x-request-id": "req-1",
    });
  });

  it("drops hop-by-hop fields, the ones Connection names, and client x-cutover-* headers", () => {
    const headers = upstreamRequestHeaders(
      new Headers({ connection: "keep-alive, x-private", "x-private": "1", "proxy-authorization": "Basic x", "x-cutover-route": "forged", "x-cutover-override": "t", "x-kept": "1" }),
      facts,
    );
    expect([...headers.keys()].filter((name) => !name.startsWith("x-forwarded") && name !== "x-request-id" && name !== "forwarded")).toEqual(["connection", "x-kept"]);
  });

  it("drops every client forwarding header and sends one view of the client, Forwarded included", () => {
    const forged = new Headers({
      forwarded: "for=1.2.3.4;host=evil.example;proto=http",
      "x-forwarded-for": "1.2.3.4",
      "x-forwarded-host": "evil.example",
      "x-forwarded-proto": "http",
      "x-forwarded-port": "8443",
      "x-forwarded-scheme": "http",
      "x-forwarded-ssl": "off",
      "x-forwarded-prefix": "/admin",
      "x-real-ip": "1.2.3.4",
      "true-client-ip": "1.2.3.4",
      "x-client-ip": "1.2.3.4",
    });
    expect(Object.fromEntries(upstreamRequestHeaders(forged, facts))).toEqual({
      forwarded: "for=203.0.113.9;host=shop.example.com;proto=https",
      "x-forwarded-for": "203.0.113.9",
      "x-forwarded-host": "shop.example.com",
      "x-forwarded-proto": "https",
      "x-request-id": "req-1",
    });
  });

  it("drops the '_' spelling of every header it drops or sets, which Rack reads as the '-' one", () => {
    const forged = new Headers({
      X_Forwarded_Ssl: "on",
      x_forwarded_scheme: "https",
      X_Forwarded_For: "1.2.3.4",
      "x-forwarded_host": "evil.example",
      Client_IP: "1.2.3.4",
      X_Real_IP: "1.2.3.4",
      True_Client_IP: "1.2.3.4",
      X_Cutover_Anything: "1",
      X_Request_Id: "forged",
      Proxy: "http://evil.example:8080",
      x_custom_thing: "kept",
      "x-ordinary": "kept",
    });
    expect(Object.fromEntries(upstreamRequestHeaders(forged, facts))).toEqual({
      forwarded: "for=203.0.113.9;host=shop.example.com;proto=https",
      "x-forwarded-for": "203.0.113.9",
      "x-forwarded-host": "shop.example.com",
      "x-forwarded-proto": "https",
      "x-request-id": "req-1",
      x_custom_thing: "kept",
      "x-ordinary": "kept",
    });
    expect(upstreamRequestHeaders(new Headers({ proxy: "http://evil.example:8080" }), facts).has("proxy")).toBe(false);
  });

  it("drops every name with '_' only with underscoreHeaders: drop", () => {
    const incoming = new Headers({ x_custom_thing: "1", "x-custom-thing": "2", accept: "text/html" });
    const dropping = upstreamRequestHeaders(incoming, { ...facts, underscoreHeaders: "drop" });
    expect([...dropping.keys()].filter((name) => name.includes("custom") || name === "accept")).toEqual(["accept", "x-custom-thing"]);
    expect(upstreamRequestHeaders(incoming, facts).get("x_custom_thing")).toBe("1");
  });

  it("appends the client to a trusted incoming chain only with forwardedFor: append, naming each hop once", () => {
    const incoming = new Headers({ "x-forwarded-for": "198.51.100.7, 203.0.113.9" });
    const appended = upstreamRequestHeaders(incoming, { ...facts, forwardedFor: "append" });
    expect(appended.get("x-forwarded-for")).toBe("198.51.100.7, 203.0.113.9");
    expect(appended.get("forwarded")).toBe("for=198.51.100.7, for=203.0.113.9;host=shop.example.com;proto=https");
    const v6 = upstreamRequestHeaders(new Headers(), { ...facts, clientIp: "2001:db8::1", host: "shop.example.com:8443" });
    expect(v6.get("forwarded")).toBe('for="[2001:db8::1]";host="shop.example.com:8443";proto=https');
  });

  it("keeps every cookie but the tester override's", () => {
    expect(upstreamRequestHeaders(new Headers({ cookie: "a=1; cutover_override=t; b=2" }), facts).get("cookie")).toBe("a=1; b=2");
    expect(upstreamRequestHeaders(new Headers({ cookie: "cutover_override=t" }), facts).has("cookie")).toBe(false);
  });

  it("reads Cookie lines the runtime joined with ', ': the override in a second line is removed too", () => {
    expect(upstreamRequestHeaders(new Headers({ cookie: "a=1, cutover_override=t, b=2" }), facts).get("cookie")).toBe("a=1; b=2");
    expect(upstreamRequestHeaders(new Headers({ cookie: "a=1, b=2" }), facts).get("cookie")).toBe("a=1; b=2");
    expect(upstreamRequestHeaders(new Headers({ cookie: "a=1;b=2" }), facts).get("cookie")).toBe("a=1;b=2");
  });
});

describe("downstreamResponse", () => {
  it("passes the backend's response through untouched when there is nothing to add or drop", () => {
    const upstream = new Response("ok", { headers: { "x-a": "1" } });
    expect(downstreamResponse(upstream, [])).toBe(upstream);
  });

  it("adds cutover's headers, keeps every Set-Cookie, and drops Proxy-Authenticate and Connection-named fields", async () => {
    const upstream = new Response("body", {
      status: 201,
      headers: [
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
        ["connection", "x-hop"],
        ["x-hop", "1"],
        ["proxy-authenticate", "Basic"],
      ],
    });
    const response = downstreamResponse(upstream, [["x-cutover-route", "r"]]);
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(response.headers.has("x-hop")).toBe(false);
    expect(response.headers.has("proxy-authenticate")).toBe(false);
    expect(response.headers.get("x-cutover-route")).toBe("r");
    expect(await response.text()).toBe("body");
  });
});
