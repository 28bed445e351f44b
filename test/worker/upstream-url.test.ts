import { describe, expect, it } from "vitest";
import { upstreamUrl } from "../../worker/upstream-url.ts";

describe("upstreamUrl", () => {
  it.each([
    [{ url: "https://app.herokuapp.com" }, "/api/x", "?a=1", "https://app.herokuapp.com/api/x?a=1"],
    [{ url: "https://app.herokuapp.com/" }, "/", "", "https://app.herokuapp.com/"],
    [{ url: "https://b.s3.amazonaws.com", stripPrefix: "/assets" }, "/assets/app.js", "", "https://b.s3.amazonaws.com/app.js"],
    [{ url: "https://b.s3.amazonaws.com", stripPrefix: "/assets" }, "/assets", "", "https://b.s3.amazonaws.com/"],
    [{ url: "https://b.s3.amazonaws.com", stripPrefix: "/assets" }, "/assetsx/app.js", "", "https://b.s3.amazonaws.com/assetsx/app.js"],
    [{ url: "https://x.execute-api.us-east-1.amazonaws.com", addPrefix: "/prod" }, "/orders", "?q=%20", "https://x.execute-api.us-east-1.amazonaws.com/prod/orders?q=%20"],
    [{ url: "https://x.example.com", stripPrefix: "/v1", addPrefix: "/api" }, "/v1/a", "", "https://x.example.com/api/a"],
    [{ type: "s3", url: "https://b.s3.amazonaws.com", stripPrefix: "/assets" }, "/assets/", "", "https://b.s3.amazonaws.com/index.html"],
    [{ type: "s3", url: "https://b.s3.amazonaws.com", stripPrefix: "/assets", indexDocument: "home.htm" }, "/assets/docs/", "", "https://b.s3.amazonaws.com/docs/home.htm"],
    [{ type: "s3", url: "https://b.s3.amazonaws.com", addPrefix: "/site" }, "/", "", "https://b.s3.amazonaws.com/site/index.html"],
  ] as const)("%o %s%s → %s", (backend, path, search, expected) => {
    expect(upstreamUrl(backend, path, search)).toBe(expected);
  });
});
