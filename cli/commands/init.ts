import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Command } from "commander";
import { ensureTable } from "../ensure-table.ts";
import { print } from "../context.ts";

export function registerInit(program: Command): void {
  program
    .command("init")
    .description("create cutover's DynamoDB table (safe to run again); uses your AWS credentials, not the Worker's")
    .option("--table <name>", "table name", "cutover")
    .option("--region <region>", "AWS region", process.env.AWS_REGION ?? "us-east-1")
    .option("--endpoint <url>", "a local DynamoDB instead of AWS")
    .action(async (options: { table: string; region: string; endpoint?: string }, command: Command) => {
      const json = command.optsWithGlobals<{ json?: boolean }>().json === true;
      // The default credential chain: environment, shared config, SSO, instance role.
      const client = new DynamoDBClient({
        region: options.region,
        endpoint: options.endpoint,
        ...(options.endpoint ? { credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {}),
      });
      const outcome = await ensureTable(client, options.table);
      print(json, { table: options.table, region: options.region, outcome }, () =>
        outcome === "created"
          ? `Created DynamoDB table ${options.table} in ${options.region}.`
          : `DynamoDB table ${options.table} in ${options.region} already exists; nothing to do.`,
      );
    });
}
