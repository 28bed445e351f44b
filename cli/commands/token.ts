import { randomBytes } from "node:crypto";
import { Command, InvalidArgumentError, Option } from "commander";
import { hashToken } from "../../admin/tokens.ts";
import { signOverride } from "../../routes/override-token.ts";
import { print } from "../context.ts";
import { UsageError } from "../usage-error.ts";

export function registerTokens(program: Command): void {
  const token = program.command("token").description("admin tokens for the API and the CLI");
  token
    .command("create")
    .description("make a new admin token and the CUTOVER_ADMIN_TOKENS entry for it")
    .requiredOption("--name <name>", "who holds it (recorded in the audit log), 1-100 characters", (value: string) => {
      if (value.trim().length === 0 || value.length > 100) throw new InvalidArgumentError("must be 1-100 characters");
      return value;
    })
    .addOption(new Option("--role <role>", "what it may do").choices(["viewer", "operator"]).default("viewer"))
    .action(async (options: { name: string; role: string }, command: Command) => {
      const json = command.optsWithGlobals<{ json?: boolean }>().json === true;
      const value = `cut_${randomBytes(24).toString("base64url")}`;
      const entry = { [await hashToken(value)]: { name: options.name, role: options.role } };
      print(json, { token: value, entry }, () =>
        [
          `Token for ${options.name} (${options.role}), shown once:`,
          "",
          `  ${value}`,
          "",
          "Add this entry to the JSON of the CUTOVER_ADMIN_TOKENS secret (only the hash is stored):",
          "",
          `  ${JSON.stringify(entry)}`,
          "",
          "  npx wrangler secret put CUTOVER_ADMIN_TOKENS",
        ].join("\n"),
      );
    });

  program
    .command("override")
    .description("mint a tester override token that sends your own requests to BACKEND")
    .argument("<backend>", "backend to force (on routes that name it)")
    .option("--ttl <duration>", "how long it is valid: 30m, 8h, 2d", "8h")
    .option("--secret <secret>", "the Worker's CUTOVER_OVERRIDE_SECRET (default: that environment variable)")
    .action(async (backend: string, options: { ttl: string; secret?: string }, command: Command) => {
      const json = command.optsWithGlobals<{ json?: boolean }>().json === true;
      const secret = options.secret ?? process.env.CUTOVER_OVERRIDE_SECRET;
      if (!secret) throw new UsageError("Give the override secret: --secret or CUTOVER_OVERRIDE_SECRET.");
      const expiresAt = Math.floor(Date.now() / 1000) + durationSeconds(options.ttl);
      const value = await signOverride(secret, backend, expiresAt);
      print(json, { token: value, backend, expiresAt: new Date(expiresAt * 1000).toISOString() }, () =>
        [
          `Override to ${backend}, valid until ${new Date(expiresAt * 1000).toISOString()}:`,
          "",
          `  curl -H 'x-cutover-override: ${value}' …`,
          `  or in a browser: document.cookie = "cutover_override=${value}; path=/"`,
        ].join("\n"),
      );
    });
}

function durationSeconds(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (!match) throw new UsageError(`--ttl '${text}' is not a duration such as 30m, 8h or 2d`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}
