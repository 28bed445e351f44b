import { Command, InvalidArgumentError, Option } from "commander";
import { CreatedToken, OverrideAnswer, OverrideRevokedAnswer, StoredToken, TokensAnswer, type CreateTokenBody, type MintOverrideBody, type RevokeTokenBody } from "../../admin/contract/index.ts";
import { newTokenValue } from "../../control/tokens.ts";
import { hashToken } from "../../lib/admin-token.ts";
import { clientFor, jsonOutput, print } from "../context.ts";
import { alignColumns } from "../table-output.ts";
import { UsageError } from "../usage-error.ts";

const name = (value: string) => {
  if (value.trim().length === 0 || value.length > 100) throw new InvalidArgumentError("must be 1-100 characters");
  return value;
};

export function registerTokens(program: Command): void {
  const token = program.command("token").description("admin tokens for the API and the CLI");
  token
    .command("create")
    .description("make a stored admin token (operators only); shown once")
    .requiredOption("--name <name>", "who or what holds it (recorded in the audit log)", name)
    .addOption(new Option("--role <role>", "what it may do").choices(["viewer", "operator"]).default("viewer"))
    .option("--expires <duration>", "how long it works: 30d, 12h, 90d (at most 366d)", "30d")
    .requiredOption("--reason <text>", "why (recorded in the audit log)")
    .action(async (options: { name: string; role: "viewer" | "operator"; expires: string; reason: string }, command: Command) => {
      const { client, json } = clientFor(command);
      const created = await client.post(
        "/tokens",
        {
          name: options.name,
          role: options.role,
          expiresInDays: durationSeconds(options.expires) / 86_400,
          reason: options.reason,
        } satisfies CreateTokenBody,
        CreatedToken,
      );
      print(json, created, () =>
        [`Token for ${created.name} (${created.role}), id ${created.id}, valid until ${created.expiresAt} — shown once:`, "", `  ${created.token}`, "", `Revoke it with: cutover token revoke ${created.id} --reason …`].join("\n"),
      );
    });

  token
    .command("list")
    .description("stored admin tokens (never their values)")
    .action(async (_options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      const { tokens } = await client.get("/tokens", TokensAnswer);
      print(json, { tokens }, () =>
        tokens.length === 0
          ? "No stored tokens (bootstrap tokens live in the CUTOVER_ADMIN_TOKENS secret)."
          : alignColumns(
              [
                ["ID", "NAME", "ROLE", "CREATED BY", "EXPIRES", "STATE"],
                ...tokens.map((t) => [t.id, t.name, t.role, t.createdBy, t.expiresAt, t.revokedAt ? `revoked ${t.revokedAt}` : Date.parse(t.expiresAt) < Date.now() ? "expired" : "active"]),
              ],
              "",
            ),
      );
    });

  token
    .command("revoke")
    .description("stop a stored admin token from working")
    .argument("<id>", "its id, from `cutover token list`")
    .requiredOption("--reason <text>", "why (recorded in the audit log)")
    .action(async (id: string, options: { reason: string }, command: Command) => {
      const { client, json } = clientFor(command);
      const revoked = await client.delete(`/tokens/${encodeURIComponent(id)}`, { reason: options.reason } satisfies RevokeTokenBody, StoredToken);
      print(json, revoked, () => `Revoked ${revoked.name}'s token ${revoked.id}.`);
    });

  token
    .command("hash")
    .description("make a bootstrap token offline: the value, and the CUTOVER_ADMIN_TOKENS entry that holds only its hash")
    .requiredOption("--name <name>", "who holds it (recorded in the audit log), 1-100 characters", name)
    .addOption(new Option("--role <role>", "what it may do").choices(["viewer", "operator"]).default("operator"))
    .action(async (options: { name: string; role: string }, command: Command) => {
      const value = newTokenValue();
      const entry = { [await hashToken(value)]: { name: options.name, role: options.role } };
      print(jsonOutput(command), { token: value, entry }, () =>
        [
          `Token for ${options.name} (${options.role}), shown once:`,
          "",
          `  ${value}`,
          "",
          "Add this entry to the JSON of the CUTOVER_ADMIN_TOKENS secret (only the hash is stored):",
          "",
          `  ${JSON.stringify(entry)}`,
          "",
          "  npx wrangler secret put CUTOVER_ADMIN_TOKENS --env <name>   # staging, production: as wrangler.toml names them",
        ].join("\n"),
      );
    });

  program
    .command("override")
    .description("mint a tester override that sends your own requests to BACKEND, or revoke one with --revoke ID (operators; audited; the server caps its lifetime)")
    .argument("[backend]", "backend to force (on routes that name it)")
    .option("--ttl <duration>", "how long it is valid: 30m, 8h, 1d", "8h")
    .option("--route <id>", "only on this route")
    .option("--revoke <id>", "revoke the override with this id (shown when it was minted, and in `cutover audit`)")
    .requiredOption("--reason <text>", "why (recorded in the audit log)")
    .action(async (backend: string | undefined, options: { ttl: string; route?: string; revoke?: string; reason: string }, command: Command) => {
      const { client, json } = clientFor(command);
      if (options.revoke !== undefined) {
        if (backend !== undefined) throw new UsageError("Either mint an override (cutover override BACKEND) or revoke one (cutover override --revoke ID), not both.");
        const revoked = await client.delete(`/overrides/${encodeURIComponent(options.revoke)}`, { reason: options.reason } satisfies RevokeTokenBody, OverrideRevokedAnswer);
        print(json, revoked, () => `Revoked override ${revoked.id}: every isolate refuses it within ${Math.ceil(revoked.propagationMs / 1000)} s.`);
        return;
      }
      if (backend === undefined) throw new UsageError("Say which backend to force: cutover override BACKEND --reason … (or --revoke ID to revoke one).");
      const minted = await client.post(
        "/overrides",
        {
          backend,
          ...(options.route ? { route: options.route } : {}),
          ttlSeconds: durationSeconds(options.ttl),
          reason: options.reason,
        } satisfies MintOverrideBody,
        OverrideAnswer,
      );
      print(json, minted, () =>
        [
          `Override ${minted.id} to ${minted.backend}${minted.route ? ` on route ${minted.route}` : ""}, valid until ${minted.expiresAt}${minted.note ? ` (${minted.note})` : ""}:`,
          "",
          `  curl -H 'x-cutover-override: ${minted.token}' …`,
          `  or in a browser: document.cookie = "cutover_override=${minted.token}; path=/"`,
          "",
          `Revoke it with: cutover override --revoke ${minted.id} --reason …`,
        ].join("\n"),
      );
    });
}

export function durationSeconds(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (!match) throw new UsageError(`'${text}' is not a duration such as 30m, 8h or 2d`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}
