import { describe, expect, it } from "vitest";
import { webhookHost, webhookProblem } from "../../rollout/webhook-destination.ts";

const strict = { allowPrivate: false };

describe("where a rollout's webhook may post", () => {
  it.each([
    "https://hooks.slack.com/services/T000/B000/XXXX",
    "https://example.com/hook",
    "https://8.8.8.8/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://hooks.example.com:8443/cutover",
    "https://172.32.0.1/",
    "https://100.128.0.1/",
    "https://192.169.0.1/",
  ])("takes a public https destination: %s", (url) => {
    expect(webhookProblem(url, strict)).toBeUndefined();
  });

  it.each([
    ["http://hooks.example.com/x", "https"],
    ["ftp://hooks.example.com/x", "https"],
    ["not a url", "https"],
    ["https://127.0.0.1/x", "private"],
    ["https://127.1.2.3:8080/x", "private"],
    ["https://2130706433/x", "private"], // 127.0.0.1 as one number
    ["https://0x7f.1/x", "private"],
    ["https://0177.0.0.1/x", "private"],
    ["https://0.0.0.0/x", "private"],
    ["https://10.1.2.3/x", "private"],
    ["https://172.16.0.1/x", "private"],
    ["https://172.31.255.255/x", "private"],
    ["https://192.168.1.1/x", "private"],
    ["https://100.64.0.1/x", "private"],
    ["https://169.254.169.254/latest/meta-data/", "private"],
    ["https://169.254.0.1/x", "private"],
    ["https://224.0.0.1/x", "private"],
    ["https://255.255.255.255/x", "private"],
    ["https://[::1]/x", "private"],
    ["https://[::]/x", "private"],
    ["https://[::ffff:127.0.0.1]/x", "private"],
    ["https://[::ffff:169.254.169.254]/x", "private"],
    ["https://[::ffff:a9fe:a9fe]/x", "private"],
    ["https://[64:ff9b::a9fe:a9fe]/x", "private"],
    ["https://[fd00::1]/x", "private"],
    ["https://[fe80::1]/x", "private"],
    ["https://localhost/x", "public host"],
    ["https://LOCALHOST./x", "public host"],
    ["https://hooks.localhost/x", "public host"],
    ["https://metadata.google.internal/x", "public host"],
    ["https://printer.local/x", "public host"],
    ["https://intranet/x", "public host"],
  ])("refuses %s", (url, reason) => {
    expect(webhookProblem(url, strict)).toContain(reason);
  });

  it("lets a local stack post to a receiver on loopback over http, and nothing but http(s)", () => {
    expect(webhookProblem("http://127.0.0.1:9999/hook", { allowPrivate: true })).toBeUndefined();
    expect(webhookProblem("https://[::1]/hook", { allowPrivate: true })).toBeUndefined();
    expect(webhookProblem("file:///etc/passwd", { allowPrivate: true })).toContain("https");
  });

  it("shows a URL as its origin only: the path is the secret", () => {
    expect(webhookHost("https://hooks.slack.com/services/T000/B000/XXXX")).toBe("https://hooks.slack.com/…");
    expect(webhookHost("https://user:pass@hooks.example.com/x?token=1")).toBe("https://hooks.example.com/…");
  });
});
