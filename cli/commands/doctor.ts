import type { Command } from "commander";
import { checkWith, HealthAnswer, issuesText, RoutesAnswer } from "../../admin/contract/index.ts";
import { AdminRequestError } from "../admin-request-error.ts";
import { clientFor, print } from "../context.ts";

/** What a status means, and what to do about it. */
const STATUS_HINTS: Readonly<Record<string, string>> = {
  ok: "serving the store's active route table",
  degraded: "serving the last known good table: the store failed or was too slow when health read it just now",
  starting: "the store holds no route table yet: apply one with `cutover routes apply FILE --reason …`",
  unavailable: "no route table could be loaded at all: requests go to CUTOVER_LEGACY_URL, or get 503 without it",
};

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("check a deployment: health, the settings it is missing, whether your token works; exit 1 when something needs doing (notes on what is off by choice do not count)")
    .action(async (_options: unknown, command: Command) => {
      const { client, json, url } = clientFor(command);
      const base = url.replace(/\/+$/, "");
      const findings: string[] = [];
      let health: HealthAnswer | undefined;
      try {
        const response = await fetch(`${base}/_cutover/health`);
        const checked = (response.headers.get("content-type") ?? "").includes("json") ? checkWith(HealthAnswer, await response.json()) : undefined;
        if (checked?.ok) health = checked.value;
        else findings.push(`${base} does not answer /_cutover/health like cutover${checked ? ` (${issuesText(checked.error)})` : ""}: is the Worker deployed at this URL, on the routes of this zone?`);
      } catch (error) {
        findings.push(`Cannot reach ${base}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`);
      }
      if (health) {
        if (health.status !== "ok") findings.push(`status ${health.status}: ${STATUS_HINTS[health.status] ?? ""}${health.lastError ? ` (${health.lastError})` : ""}`);
        findings.push(...health.problems);
      }
      let token = "not checked";
      try {
        await client.get("/routes", RoutesAnswer);
        token = "works";
      } catch (error) {
        if (error instanceof AdminRequestError && error.code === "no_table") token = "works";
        else if (error instanceof AdminRequestError && error.code === "bad_answer") {
          // The token was accepted; what came back is of another release.
          token = "works";
          findings.push(error.message);
        } else {
          token = error instanceof Error ? error.message : String(error);
          findings.push(`Your admin token: ${token}`);
        }
      }
      print(json, { url: base, health: health ?? null, token, findings }, () =>
        [
          `cutover at ${base}`,
          health ? `  status      ${health.status} — ${STATUS_HINTS[health.status] ?? ""}` : "  status      (no answer)",
          health?.version !== undefined ? `  version     ${health.version}${health.pending ? ` (version ${health.pending.version} takes effect at ${health.pending.effectiveAt}${(health.pending.waiting ?? 1) > 1 ? `, ${health.pending.waiting} versions waiting` : ""})` : ""}, confirmed ${Math.round((health.ageMs ?? 0) / 1000)} s ago from ${health.source}` : undefined,
          `  your token  ${token}`,
          "",
          findings.length === 0 ? "Nothing to do." : ["To do:", ...findings.map((finding) => `  • ${finding}`)].join("\n"),
          health === undefined || health.notes.length === 0 ? undefined : ["", "Notes:", ...health.notes.map((note) => `  • ${note}`)].join("\n"),
        ]
          .filter((line) => line !== undefined)
          .join("\n"),
      );
      if (findings.length > 0) process.exitCode = 1;
    });
}
