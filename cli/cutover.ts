#!/usr/bin/env node
import { Command } from "commander";
import { registerDev } from "./commands/dev.ts";

const program = new Command()
  .name("cutover")
  .description("Move a Heroku app to AWS serverless one route at a time.")
  .showHelpAfterError();

registerDev(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`cutover: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
