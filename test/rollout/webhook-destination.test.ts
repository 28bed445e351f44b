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
    // Next to the refused ranges, and the same numbers in another first octet.
    "https://100.63.255.255/",
    "https://169.253.0.1/",
    "https://169.255.0.1/",
    "https://192.0.1.1/",
    "https://192.1.0.1/",
    "https://8.0.0.8/",
    "https://8.0.2.1/",
    "https://198.17.255.255/",
    "https://198.20.0.1/",
    "https://198.51.99.1/",
    "https://198.50.100.1/",
    "https://8.51.100.1/",
    "https://203.0.112.1/",
    "https://203.1.113.1/",
    "https://8.0.113.1/",
    "https://223.255.255.254/",
    // IPv6 around the refused ones: a public IPv4 inside, a documentation-like prefix elsewhere.
    "https://[::ffff:8.8.8.8]/",
    "https://[64:ff9b::808:808]/",
    "https://[2606:db8::1]/",
    "https://[2606:ff9b::a00:1]/",
    "https://[2606::ffff:a00:1]/",
    "https://[2001:db9::1]/",
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
    ["https://[febf::1]/x", "private"],
    ["https://[fc00::1]/x", "private"],
    ["https://[ff02::1]/x", "private"],
    ["https://[2001:db8::1]/x", "private"],
    ["https://[::ffff:10.0.0.1]/x", "private"],
    ["https://[::10.0.0.1]/x", "private"],
    ["https://[64:ff9b::10.1.2.3]/x", "private"],
    ["https://192.0.0.1/x", "private"],
    ["https://192.0.2.1/x", "private"],
    ["https://198.18.0.1/x", "private"],
    ["https://198.19.255.255/x", "private"],
    ["https://198.51.100.7/x", "private"],
    ["https://203.0.113.9/x", "private"],
    ["https://100.127.255.255/x", "private"],
    ["https://172.16.0.0/x", "private"],
    ["https://home.arpa/x", "public host"],
    ["https://hooks.team.corp.local/x", "public host"],
    ["https://10.db.corp.local/x", "public host"],
    ["https://payroll/x", "public host"],
    ["https://localhost/x", "public host"],
    ["https://LOCALHOST./x", "public host"],
    ["https://hooks.localhost/x", "public host"],
    ["https://metadata.google.internal/x", "public host"],
    ["https://printer.local/x", "public host"],
    ["https://intranet/x", "public host"],
  ])("refuses %s", (url, reason) => {
    expect(webhookProblem(url, strict)).toContain(reason);
  });

  it("says what is wrong with the destination, naming the host as it reads it", () => {
    expect(webhookProblem("http://hooks.example.com/x", strict)).toBe("must be an https URL");
    expect(webhookProblem("https://10.1.2.3/x", strict)).toBe("must not point at a private, loopback, link-local or reserved address (10.1.2.3)");
    expect(webhookProblem("https://[FD00::1]/x", strict)).toBe("must not point at a private, loopback or link-local address ([fd00::1])");
    // A trailing dot names the same host: it does not get a private name past the check.
    expect(webhookProblem("https://printer.local./x", strict)).toBe("must name a public host (printer.local only resolves inside a network)");
    expect(webhookProblem("https://Metadata.Google.Internal./x", strict)).toBe("must name a public host (metadata.google.internal only resolves inside a network)");
  });

  it("lets a local stack post to a receiver on loopback over http, and nothing but http(s)", () => {
    expect(webhookProblem("http://127.0.0.1:9999/hook", { allowPrivate: true })).toBeUndefined();
    expect(webhookProblem("https://[::1]/hook", { allowPrivate: true })).toBeUndefined();
    expect(webhookProblem("file:///etc/passwd", { allowPrivate: true })).toContain("https");
  });

  it("shows a URL as its origin only: the path is the secret", () => {
    expect(webhookHost("https://hooks.slack.com/services/T000/B000/XXXX")).toBe("https://hooks.slack.com/…");
    expect(webhookHost("https://user:pass@hooks.example.com/x?token=1")).toBe("https://hooks.example.com/…");
    expect(webhookHost("hooks.example.com/x")).toBe("(invalid url)");
  });
});
