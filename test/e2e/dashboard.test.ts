import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";
import { launchBrowser } from "../support/browser.ts";
import { startLocalStack, type LocalStack } from "../support/local-stack.ts";
import { refusedPort } from "../support/upstream.ts";

/** Screenshots land here; `npm run screenshots` copies them into docs/. */
const SHOTS = path.join(PROJECT_ROOT, "bench", "out", "screenshots");

/**
 * The dashboard in a real Chromium against `cutover dev`: sign in as a viewer and as an
 * operator, watch traffic appear, flip a route with the form and see requests move, roll it
 * back, start and promote a rollout, refuse a cross-site form and a page served through the
 * proxy, sign out. The dashboard is on its own origin (http://localhost:<port>); the proxy,
 * the API and the CLI on http://127.0.0.1:<port>.
 */
describe("the dashboard, in a browser", () => {
  let stack: LocalStack;
  /** The proxy (and the API the CLI calls). */
  let base = "";
  /** The dashboard's origin. */
  let admin = "";
  let operatorToken = "";
  let viewerToken = "";
  let browser: Browser;

  beforeAll(async () => {
    const port = await refusedPort();
    stack = startLocalStack(process.execPath, ["cli/cutover.ts", "dev", "--memory", "--port", String(port), "--legacy-port", "0", "--accounts-port", "0"]);
    await stack.ready;
    [, base = "", operatorToken = ""] = /export CUTOVER_URL=(\S+) CUTOVER_TOKEN=(\S+)/.exec(stack.output()) ?? [];
    admin = new URL(/dashboard\s+(http\S+)/.exec(stack.output())?.[1] ?? "http://invalid").origin;
    expect(admin).toBe(base.replace("127.0.0.1", "localhost"));
    const created = JSON.parse((await cli("token", "create", "--name", "vera", "--role", "viewer", "--expires", "1d", "--reason", "dashboard test", "--json")).stdout) as { token: string };
    viewerToken = created.token;
    browser = await launchBrowser();
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    if (stack && stack.child.exitCode === null) stack.child.kill("SIGINT");
  });

  function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) =>
      execFile(process.execPath, ["cli/cutover.ts", ...args], { cwd: PROJECT_ROOT, env: { ...process.env, CUTOVER_URL: base, CUTOVER_TOKEN: operatorToken } }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      ),
    );
  }
  async function signIn(token: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    await page.goto(`${admin}/_cutover/`);
    expect(page.url()).toBe(`${admin}/_cutover/login`);
    await page.fill("input[name=token]", token);
    await page.click("button:has-text('Sign in')");
    await page.waitForURL(`${admin}/_cutover/`);
    return page;
  }
  /** Requests to the split route from many users; which backend each reached. */
  async function traffic(count: number): Promise<string[]> {
    return Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const response = await fetch(`${base}/api/accounts/1`, { headers: { cookie: `session_id=dash-${Date.now()}-${i}` } });
        await response.arrayBuffer();
        return response.headers.get("x-cutover-backend") ?? "";
      }),
    );
  }
  const version = async () => (JSON.parse((await cli("routes", "get", "--json")).stdout) as { version: number }).version;

  it("shows a viewer everything and no button, and refuses a viewer's forged action", async () => {
    const page = await signIn(viewerToken);
    expect(await page.locator("header").textContent()).toContain("vera · viewer");
    await page.goto(`${admin}/_cutover/routes/accounts-read`);
    expect(await page.locator("h1").textContent()).toContain("Route accounts-read");
    expect(await page.locator("form.action, form[action*='/actions/']").count()).toBe(0);
    const before = await version();
    // A viewer crafting the request by hand: the right origin, a valid session and CSRF token.
    const csrf = await page.locator("form.who input[name=_csrf]").inputValue();
    const forged = await page.evaluate(async (token) => {
      const response = await fetch("/_cutover/actions/rollback", { method: "POST", body: new URLSearchParams({ _csrf: token, toVersion: "1", reason: "forged" }) });
      return response.status;
    }, csrf);
    expect(forged).toBe(403);
    expect(await version()).toBe(before);
    await page.context().close();
  });

  it("lets an operator watch traffic arrive, flip a route with the form, and roll it back", async () => {
    const page = await signIn(operatorToken);
    await traffic(40);
    await page.goto(`${admin}/_cutover/routes/accounts-read`);
    // Counts are flushed every second locally; the page refreshes itself every 5 s.
    const counted = async () => {
      await page.reload();
      const cells = await page.locator("[data-metric^=requests-]").allTextContents();
      return cells.reduce((sum, text) => sum + Number(text), 0);
    };
    await expect.poll(counted, { timeout: 15_000, interval: 1000 }).toBeGreaterThanOrEqual(40);
    // A point per minute counted (one minute: a bar labelled with its value).
    expect(await page.locator("svg[aria-label=Requests] circle, svg[aria-label=Requests] rect").count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, "route.png"), fullPage: true });

    await page.fill("input[name='w:legacy']", "0");
    await page.fill("input[name='w:accounts']", "100");
    await page.fill("form[action$='weights/preview'] input[name=reason]", "all readers to the Lambda");
    await page.click("text=Review the change…");
    await expect.poll(() => page.locator("pre").textContent(), { timeout: 10_000 }).toContain("legacy: 50 % → 0 %");
    await page.click("button:has-text('Apply')");
    await expect.poll(() => page.locator(".notice").textContent(), { timeout: 10_000 }).toContain("Weights changed");
    // In effect everywhere one propagation bound (2.5 s locally) after it was written.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(new Set(await traffic(20))).toEqual(new Set(["accounts"]));

    await page.fill("form[action$='routes/accounts-read/rollback'] input[name=reason]", "error rate up");
    await page.click("button:has-text('Roll this route back')");
    await expect.poll(() => page.locator(".notice").textContent(), { timeout: 10_000 }).toContain("Route restored from version");
    await expect.poll(() => page.locator("[data-metric=weights]").textContent(), { timeout: 10_000 }).toContain("legacy 50 % · accounts 50 %");
    expect(new Set(await traffic(40))).toEqual(new Set(["legacy", "accounts"]));

    await page.goto(`${admin}/_cutover/`);
    await expect.poll(() => page.locator("[data-metric=migrated-24h]").textContent(), { timeout: 10_000 }).not.toBe("–");
    await page.screenshot({ path: path.join(SHOTS, "overview.png"), fullPage: true });
    const audit = await cli("audit", "--limit", "5");
    expect(audit.stdout).toContain("error rate up");
    await page.context().close();
  });

  it("checks a weights change before offering Apply, as the CLI does: no Apply for weights that do not add up, no reason, or no change", async () => {
    const page = await signIn(operatorToken);
    const before = JSON.parse((await cli("routes", "get", "--json")).stdout) as { version: number; table: { routes: { id: string; to: unknown }[] } };
    const preview = async (weights: Record<string, string>, reason: string) => {
      await page.goto(`${admin}/_cutover/routes/accounts-read`);
      for (const [backend, weight] of Object.entries(weights)) await page.fill(`input[name='w:${backend}']`, weight);
      await page.fill("form[action$='weights/preview'] input[name=reason]", reason);
      await page.click("text=Review the change…");
      await page.waitForURL(/actions\/weights\/preview/);
      return { heading: await page.locator("h1").textContent(), apply: await page.locator("button:has-text('Apply')").count(), text: await page.locator("main, body").first().textContent() };
    };
    const ninety = await preview({ legacy: "40", accounts: "50" }, "a typo");
    expect(ninety).toMatchObject({ heading: "This change of accounts-read would be refused", apply: 0 });
    expect(ninety.text).toContain("weights sum to 90, they must sum to 100");
    const noReason = await preview({ legacy: "10", accounts: "90" }, " ");
    expect(noReason).toMatchObject({ apply: 0 });
    expect(noReason.text).toContain("reason: is required");
    const to = before.table.routes.find((route) => route.id === "accounts-read")?.to as Record<string, number>;
    const same = await preview(Object.fromEntries(Object.entries(to).map(([backend, weight]) => [backend, String(weight)])), "no change");
    expect(same).toMatchObject({ heading: expect.stringMatching(/^accounts-read already sends /), apply: 0 });
    // Nothing was written.
    expect((JSON.parse((await cli("routes", "get", "--json")).stdout) as { version: number }).version).toBe(before.version);
    await page.context().close();
  });

  it("shows a route's charts over 1 h, 24 h or 7 days with time ticks, and offers one rollback, to the version before by default", async () => {
    const page = await signIn(operatorToken);
    await traffic(10);
    const charted = async () => {
      await page.goto(`${admin}/_cutover/routes/accounts-read?range=24h`);
      return page.locator("svg[aria-label=Requests]").count();
    };
    await expect.poll(charted, { timeout: 15_000, interval: 1000 }).toBe(1);
    expect(await page.locator(".ranges a[aria-current]").textContent()).toBe("last 24h");
    expect(await page.locator(".ranges a").allTextContents()).toEqual(["last 1h", "last 24h", "last 7d"]);
    const chart = page.locator("svg[aria-label=Requests]");
    expect(await chart.count()).toBe(1);
    // Four or five round times on the axis, each HH:MM.
    const ticks = (await chart.locator("text").allTextContents()).filter((text) => /^\d\d:\d\d$/.test(text));
    expect(ticks.length).toBeGreaterThanOrEqual(3);

    // Two more versions, the route as it was: something to roll back to.
    const to = (JSON.parse((await cli("routes", "get", "--json")).stdout) as { table: { routes: { id: string; to: Record<string, number> | string }[] } }).table.routes.find((route) => route.id === "accounts-read")?.to;
    expect((await cli("routes", "weights", "accounts-read", "legacy=60", "accounts=40", "--reason", "a step")).code).toBe(0);
    const back = typeof to === "string" ? [`${to}=100`] : Object.entries(to ?? {}).map(([backend, weight]) => `${backend}=${weight}`);
    expect((await cli("routes", "weights", "accounts-read", ...back, "--reason", "and back")).code).toBe(0);
    await page.goto(`${admin}/_cutover/versions`);
    const versions = JSON.parse((await cli("versions", "--json")).stdout) as { versions: { version: number; parent: number; active?: boolean }[] };
    const active = versions.versions.find((v) => v.active);
    expect(await page.locator("button:has-text('Roll back')").count()).toBe(1);
    expect(await page.locator("select[name=toVersion]").inputValue()).toBe(String(active?.parent));
    await page.context().close();
  });

  it("starts and promotes a rollout from the pages", async () => {
    const page = await signIn(operatorToken);
    await page.goto(`${admin}/_cutover/routes/accounts-read`);
    await page.selectOption("select[name=candidate]", "accounts");
    await page.fill("input[name=steps]", "75,pause,100");
    await page.fill("input[name=minDuration]", "0s");
    await page.fill("form[action$='rollouts/start'] input[name=reason]", "reads to the Lambda");
    await page.click("button:has-text('Start a rollout')");
    await page.waitForURL(/\/_cutover\/rollouts\/accounts-read/);
    await expect.poll(() => page.locator(".notice").textContent(), { timeout: 10_000 }).toContain("Rollout started");
    await page.fill("form[action$='/promote'] input[name=reason]", "enough evidence for me");
    await page.click("button:has-text('Promote')");
    await expect.poll(() => page.locator("[data-metric=rollout-status]").textContent(), { timeout: 10_000 }).toBe("paused");
    await page.screenshot({ path: path.join(SHOTS, "rollout.png"), fullPage: true });
    await page.fill("form[action$='/promote'] input[name=reason]", "go");
    await page.click("button:has-text('Promote')");
    // Every user on the candidate: the bake, judged before the rollout completes (or promoted by hand).
    await expect.poll(() => page.locator("[data-metric=rollout-status]").textContent(), { timeout: 10_000 }).toBe("running");
    await page.fill("form[action$='/promote'] input[name=reason]", "baked enough");
    await page.click("button:has-text('Promote')");
    await expect.poll(() => page.locator("[data-metric=rollout-status]").textContent(), { timeout: 10_000 }).toBe("succeeded");
    await page.goto(`${admin}/_cutover/routes/accounts-read`);
    await expect.poll(() => page.locator("[data-metric=weights]").textContent(), { timeout: 10_000 }).toBe("→ accounts");
    await page.context().close();
  });

  it("gives a page served through the proxy nothing: it cannot read a dashboard page or make a change, and the audit shows nothing", async () => {
    const page = await signIn(operatorToken);
    // A third-party tag (or an XSS) on the site: a page the proxy serves from a backend, on the site's origin.
    const tag = http.createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(`<iframe name="sink"></iframe>
<form method="post" target="sink" action="${admin}/_cutover/actions/rollback"><input name="toVersion" value="1"><input name="reason" value="from the site"></form>
<script>
(async () => {
  const attempt = async (run) => { try { return await run(); } catch (error) { return "blocked: " + error.name; } };
  const form = () => new URLSearchParams({ toVersion: "1", reason: "from the site" });
  window.results = {
    sameOriginPage: await attempt(async () => (await fetch("/_cutover/versions")).status),
    sameOriginLogin: await attempt(async () => (await fetch("/_cutover/login")).status),
    sameOriginAction: await attempt(async () => (await fetch("/_cutover/actions/rollback", { method: "POST", body: form() })).status),
    adminPage: await attempt(async () => (await (await fetch("${admin}/_cutover/versions", { credentials: "include" })).text()).slice(0, 40)),
    adminApi: await attempt(async () => (await fetch("${admin}/_cutover/api/versions", { credentials: "include" })).status),
    adminAction: await attempt(async () => (await fetch("${admin}/_cutover/actions/rollback", { method: "POST", mode: "no-cors", credentials: "include", body: form() })).type),
  };
  document.forms[0].submit();
  setTimeout(() => (window.done = true), 1500);
})();
</script>`);
    });
    await new Promise<void>((resolve) => tag.listen(0, "127.0.0.1", resolve));
    try {
      // Route /tags/* of the site to that backend (through the API, as an operator's script would).
      const current = (await (await fetch(`${base}/_cutover/api/routes`, { headers: { authorization: `Bearer ${operatorToken}` } })).json()) as { version: number; table: Record<string, unknown> & { backends: Record<string, unknown>; routes: unknown[] } };
      const withTag = { ...current.table, backends: { ...current.table.backends, tags: { url: `http://127.0.0.1:${(tag.address() as AddressInfo).port}` } }, routes: [...current.table.routes, { id: "tags", match: { path: "/tags/*" }, to: "tags" }] };
      const put = await fetch(`${base}/_cutover/api/routes`, { method: "PUT", headers: { authorization: `Bearer ${operatorToken}`, "content-type": "application/json", "if-match": `"${current.version}"` }, body: JSON.stringify({ table: withTag, reason: "serve a tag" }) });
      expect(put.status).toBe(200);
      // In effect once every isolate has it (the stack's propagation bound).
      await expect.poll(async () => (await fetch(`${base}/tags/page`)).headers.get("x-cutover-backend"), { timeout: 10_000, interval: 250 }).toBe("tags");
      const before = await version();
      const audited = (await cli("audit", "--json", "--limit", "100")).stdout;

      await page.goto(`${base}/tags/page`);
      await page.waitForFunction(() => (window as unknown as { done?: boolean }).done === true, undefined, { timeout: 15_000 });
      const results = (await page.evaluate(() => (window as unknown as { results: Record<string, unknown> }).results)) as Record<string, unknown>;
      expect(results.sameOriginPage).toBe(404);
      expect(results.sameOriginLogin).toBe(404);
      expect(results.sameOriginAction).toBe(404);
      expect(String(results.adminPage)).toMatch(/^blocked/);
      expect(String(results.adminApi)).toMatch(/^blocked/);
      expect(results.adminAction).toBe("opaque");
      expect(await version()).toBe(before);
      expect((await cli("audit", "--json", "--limit", "100")).stdout).toBe(audited);
    } finally {
      tag.close();
    }
    // The operator's own session is untouched.
    await page.goto(`${admin}/_cutover/versions`);
    expect(page.url()).toBe(`${admin}/_cutover/versions`);
    await page.context().close();
  });

  it("refuses a form posted from another site, and signs out", async () => {
    const page = await signIn(operatorToken);
    const before = await version();
    // Another site, with a form that posts to the dashboard as soon as it loads.
    const evil = http.createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(`<form method="post" action="${admin}/_cutover/actions/rollback"><input name="toVersion" value="1"><input name="reason" value="csrf"></form><script>document.forms[0].submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    try {
      await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
      await page.waitForLoadState("networkidle");
      await expect.poll(() => page.locator("body").textContent(), { timeout: 10_000 }).toMatch(/Refused|Sign in/);
    } finally {
      evil.close();
    }
    // The same request with the session cookie but a foreign Origin.
    const response = await page.request.post(`${admin}/_cutover/actions/rollback`, { form: { toVersion: "1", reason: "csrf" }, headers: { origin: "http://evil.example" } });
    expect(response.status()).toBe(403);
    expect(await version()).toBe(before);

    await page.goto(`${admin}/_cutover/`);
    await page.click("button:has-text('Sign out')");
    await page.waitForURL(`${admin}/_cutover/login`);
    await page.goto(`${admin}/_cutover/versions`);
    expect(page.url()).toBe(`${admin}/_cutover/login`);
    await page.context().close();
    if (process.env.UPDATE_SCREENSHOTS) {
      const target = path.join(PROJECT_ROOT, "docs", "screenshots");
      mkdirSync(target, { recursive: true });
      for (const name of ["overview.png", "route.png", "rollout.png"]) copyFileSync(path.join(SHOTS, name), path.join(target, name));
    }
  });
});
