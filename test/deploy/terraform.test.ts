import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CreateTableCommand, DescribeTableCommand, UpdateTimeToLiveCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { parse } from "@cdktf/hcl2json";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ensureTable } from "../../cli/ensure-table.ts";
import { registerInit } from "../../cli/commands/init.ts";
import { createDynamoApi } from "../../store/dynamo-api.ts";

/**
 * deploy/terraform/ cannot be planned here (no network, no AWS account), so its HCL is parsed
 * (HashiCorp's parser, as wasm) and held to the code it serves: the table `cutover init`
 * creates, the DynamoDB operations the Worker sends, the Worker's setting names, and the docs.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TERRAFORM_DIR = path.join(ROOT, "deploy/terraform");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

type Block = Record<string, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function record(value: unknown, where: string): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`${where}: expected an object, got ${JSON.stringify(value)}`);
  return value;
}
/** A block kind as hcl2json gives it: a list of blocks (absent: none). */
function blockList(value: unknown, where: string): Block[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${where}: expected a list of blocks, got ${JSON.stringify(value)}`);
  return value.map((block, index) => record(block, `${where}[${index}]`));
}
function onlyBlock(value: unknown, where: string): Block {
  const blocks = blockList(value, where);
  if (blocks.length !== 1) throw new Error(`${where}: expected exactly one block, found ${blocks.length}`);
  return blocks[0] as Block;
}
function strings(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) throw new Error(`${where}: expected a list of strings, got ${JSON.stringify(value)}`);
  return value;
}

// ---- The Terraform, every .tf file parsed ----

const tfFiles = readdirSync(TERRAFORM_DIR).filter((name) => name.endsWith(".tf")).sort();
const parsed = await Promise.all(
  tfFiles.map(async (name) => ({ name, body: record(await parse(name, readFileSync(path.join(TERRAFORM_DIR, name), "utf8")), name) })),
);

/** Every `kind "TYPE" "NAME"` block (resource, data), across files; a name defined twice fails. */
function labelled(kind: "resource" | "data"): Map<string, Block> {
  const out = new Map<string, Block>();
  for (const { name: file, body } of parsed) {
    if (body[kind] === undefined) continue;
    for (const [type, byName] of Object.entries(record(body[kind], `${file} ${kind}`))) {
      for (const [name, blocks] of Object.entries(record(byName, `${file} ${kind}.${type}`))) {
        const key = `${type}.${name}`;
        if (out.has(key)) throw new Error(`${kind} ${key} is defined twice`);
        out.set(key, onlyBlock(blocks, `${file} ${kind}.${key}`));
      }
    }
  }
  return out;
}
/** Every `kind "NAME"` block (variable, output), across files. */
function named(kind: "variable" | "output"): Map<string, Block> {
  const out = new Map<string, Block>();
  for (const { name: file, body } of parsed) {
    if (body[kind] === undefined) continue;
    for (const [name, blocks] of Object.entries(record(body[kind], `${file} ${kind}`))) {
      if (out.has(name)) throw new Error(`${kind} ${name} is defined twice`);
      out.set(name, onlyBlock(blocks, `${file} ${kind}.${name}`));
    }
  }
  return out;
}
function get<T>(map: ReadonlyMap<string, T>, key: string): T {
  const value = map.get(key);
  if (value === undefined) throw new Error(`${key} is not defined in deploy/terraform/*.tf (has: ${[...map.keys()].join(", ")})`);
  return value;
}

const resources = labelled("resource");
const dataSources = labelled("data");
const variables = named("variable");
const outputs = named("output");

// ---- What the code creates and sends ----

/** The commands `ensureTable` sends, recorded from a client that answers like an empty account. */
async function tableTheCliCreates(): Promise<{ create: CreateTableCommand["input"]; ttl: UpdateTimeToLiveCommand["input"] }> {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      sent.push(command);
      return command instanceof DescribeTableCommand ? { Table: { TableStatus: "ACTIVE" } } : {};
    },
  };
  await ensureTable(client as unknown as DynamoDBClient, "t");
  const create = sent.find((command): command is CreateTableCommand => command instanceof CreateTableCommand);
  const ttl = sent.find((command): command is UpdateTimeToLiveCommand => command instanceof UpdateTimeToLiveCommand);
  if (!create || !ttl) throw new Error("ensureTable sent no CreateTable or no UpdateTimeToLive");
  return { create: create.input, ttl: ttl.input };
}

/** `cutover init`'s default table name, read from the command itself. */
function cliDefaultTableName(): unknown {
  const program = new Command();
  registerInit(program);
  const init = program.commands.find((command) => command.name() === "init");
  return init?.options.find((option) => option.long === "--table")?.defaultValue;
}

/**
 * The DynamoDB operations store/dynamo-api.ts sends as `X-Amz-Target`, read from its source:
 * every `call("Operation", …)`. Fails if a call names its operation some other way, so that
 * a new operation can never slip past the policy unseen.
 */
function dynamoOperationsInSource(): string[] {
  const source = read("store/dynamo-api.ts");
  if (!source.includes("`DynamoDB_20120810.${operation}`")) throw new Error("store/dynamo-api.ts no longer builds X-Amz-Target from `operation`: update this test");
  const calls = [...source.matchAll(/(?<!function )\bcall(?:<[^>]*>)?\(/g)].length;
  const operations = [...source.matchAll(/(?<!function )\bcall(?:<[^>]*>)?\(\s*["'`]([A-Za-z]+)["'`]/g)].map((match) => match[1] as string);
  if (operations.length === 0 || operations.length !== calls) {
    throw new Error(`store/dynamo-api.ts has ${calls} call(…) sites, ${operations.length} of them with a literal operation name: update this test`);
  }
  return [...new Set(operations)].sort();
}

// ---- The Worker's settings and the docs ----

/** Secret names the Worker declares (worker/env.d.ts, CutoverSecrets). */
function workerSecretNames(): Set<string> {
  const declaration = /interface CutoverSecrets \{([\s\S]*?)\n\}/.exec(read("worker/env.d.ts"))?.[1];
  if (!declaration) throw new Error("worker/env.d.ts has no CutoverSecrets interface");
  return new Set([...declaration.matchAll(/^\s*([A-Z][A-Z0-9_]*)\??:/gm)].map((match) => match[1] as string));
}
/** Var names wrangler.toml sets (top level and per environment). */
function wranglerVarNames(): Set<string> {
  return new Set([...read("wrangler.toml").matchAll(/^([A-Z][A-Z0-9_]*)\s*=/gm)].map((match) => match[1] as string));
}

const policy = get(dataSources, "aws_iam_policy_document.worker");
const staticStatements = blockList(policy.statement, "policy statement");
const dynamicStatements = blockList(record(policy.dynamic ?? {}, "policy dynamic").statement, "policy dynamic statement");
const allStatements = [...staticStatements, ...dynamicStatements.map((dynamic) => onlyBlock(dynamic.content, "dynamic statement content"))];

/** A dynamic statement's variable: its for_each must be `length(var.X) > 0 ? [1] : []`. */
function conditionalVariable(dynamic: Block): string | undefined {
  return /^\$\{length\(var\.(\w+)\) > 0 \? \[1\] : \[\]\}$/.exec(String(dynamic.for_each))?.[1];
}
function dynamicStatementFor(action: string): { variable: string | undefined; statement: Block } {
  const found = dynamicStatements.filter((dynamic) => strings(onlyBlock(dynamic.content, "content").actions, "actions").includes(action));
  expect(found, `one conditional statement grants ${action}`).toHaveLength(1);
  const dynamic = found[0] as Block;
  return { variable: conditionalVariable(dynamic), statement: onlyBlock(dynamic.content, `${action} content`) };
}

describe("deploy/terraform", () => {
  it("parses: versions, variables, main and outputs are there", () => {
    expect(tfFiles).toEqual(expect.arrayContaining(["main.tf", "outputs.tf", "variables.tf", "versions.tf"]));
  });

  it("pins the aws provider to one major version", () => {
    const terraform = parsed.flatMap(({ body }) => blockList(body.terraform, "terraform"));
    const providers = terraform.flatMap((block) => blockList(block.required_providers, "required_providers"));
    const aws = record(onlyBlock(providers.map((block) => block.aws).filter(Boolean), "required_providers.aws"), "aws");
    expect(aws.source).toBe("hashicorp/aws");
    // "~> 6.0" allows 6.x and nothing else; "~> 6.0.1" would pin a minor, ">= 6.0" no major.
    expect(aws.version).toMatch(/^~>\s*[1-9]\d*\.\d+$/);
  });

  describe("the table", () => {
    const table = get(resources, "aws_dynamodb_table.cutover");

    it("has the keys, attribute types and billing mode `cutover init` creates", async () => {
      const { create } = await tableTheCliCreates();
      const keyOf = (type: string) => create.KeySchema?.find((key) => key.KeyType === type)?.AttributeName;
      expect(keyOf("HASH")).toBeDefined();
      expect(table.hash_key).toBe(keyOf("HASH"));
      expect(table.range_key).toBe(keyOf("RANGE"));
      const attributes = blockList(table.attribute, "attribute").map((attribute) => ({ name: attribute.name, type: attribute.type }));
      const expected = (create.AttributeDefinitions ?? []).map((definition) => ({ name: definition.AttributeName, type: definition.AttributeType }));
      expect(expected.length).toBeGreaterThan(0);
      expect(sortByName(attributes)).toEqual(sortByName(expected));
      expect(table.billing_mode).toBe(create.BillingMode);
      expect(table.billing_mode).toBe("PAY_PER_REQUEST");
      // The policy grants the table's ARN alone: an index would need its own ARN.
      expect(table.global_secondary_index).toBeUndefined();
      expect(table.local_secondary_index).toBeUndefined();
    });

    it("is named by a variable whose default is `cutover init`'s", () => {
      expect(table.name).toBe("${var.table_name}");
      expect(get(variables, "table_name").default).toBe(cliDefaultTableName());
    });

    it("expires items on expiresAt, the attribute `cutover init` turns TTL on for, and keeps point-in-time recovery", async () => {
      const { ttl } = await tableTheCliCreates();
      expect(ttl.TimeToLiveSpecification).toEqual({ AttributeName: "expiresAt", Enabled: true });
      expect(blockList(table.ttl, "ttl")).toEqual([{ attribute_name: ttl.TimeToLiveSpecification?.AttributeName, enabled: true }]);
      expect(blockList(table.point_in_time_recovery, "point_in_time_recovery")).toEqual([{ enabled: true }]);
    });
  });

  describe("the Worker's identity", () => {
    it("is one IAM user with access keys and one inline policy, the policy document, and nothing else that grants", () => {
      expect([...resources.keys()].sort()).toEqual(["aws_dynamodb_table.cutover", "aws_iam_access_key.worker", "aws_iam_user.worker", "aws_iam_user_policy.worker"]);
      expect([...dataSources.keys()].sort()).toEqual(["aws_iam_policy_document.worker", "aws_partition.current"]);
      expect(get(resources, "aws_iam_access_key.worker").user).toBe("${aws_iam_user.worker.name}");
      const userPolicy = get(resources, "aws_iam_user_policy.worker");
      expect(userPolicy.user).toBe("${aws_iam_user.worker.name}");
      expect(userPolicy.policy).toBe("${data.aws_iam_policy_document.worker.json}");
    });

    it("reads the DynamoDB operations from store/dynamo-api.ts as the API sends them", async () => {
      const targets: string[] = [];
      vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => {
        targets.push(new Headers(init.headers).get("x-amz-target") ?? "");
        return new Response("{}");
      });
      const api = createDynamoApi({ region: "us-east-1", accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" });
      for (const method of Object.values(api) as Array<(input: unknown) => Promise<unknown>>) await method({ TableName: "t" });
      expect([...new Set(targets.map((target) => target.replace(/^DynamoDB_20120810\./, "")))].sort()).toEqual(dynamoOperationsInSource());
    });

    it("grants exactly the DynamoDB operations the Worker sends, on exactly the table's ARN", () => {
      const expected = dynamoOperationsInSource().map((operation) => `dynamodb:${operation}`);
      const dynamo = allStatements.filter((statement) => strings(statement.actions, "actions").some((action) => action.startsWith("dynamodb:")));
      expect(dynamo, "one statement grants DynamoDB actions").toHaveLength(1);
      const statement = dynamo[0] as Block;
      expect(staticStatements).toContain(statement);
      expect(strings(statement.actions, "actions").sort()).toEqual(expected.sort());
      expect(statement.resources).toEqual(["${aws_dynamodb_table.cutover.arn}"]);
      expect(statement.condition).toBeUndefined();
    });

    it("invokes Lambda functions through their URLs only, on the functions the variable lists, and only when it lists some", () => {
      const url = dynamicStatementFor("lambda:InvokeFunctionUrl");
      expect(url.variable).toBe("lambda_function_arns");
      expect(url.statement.actions).toEqual(["lambda:InvokeFunctionUrl"]);
      expect(url.statement.resources).toBe("${var.lambda_function_arns}");
      // Function URLs check lambda:InvokeFunction too (since October 2025); the condition
      // confines it to calls made through a URL, so the Invoke API stays closed.
      const invoke = dynamicStatementFor("lambda:InvokeFunction");
      expect(invoke.variable).toBe("lambda_function_arns");
      expect(invoke.statement.actions).toEqual(["lambda:InvokeFunction"]);
      expect(invoke.statement.resources).toBe("${var.lambda_function_arns}");
      expect(blockList(invoke.statement.condition, "condition")).toEqual([{ test: "Bool", variable: "lambda:InvokedViaFunctionUrl", values: ["true"] }]);
    });

    it("reads objects of the buckets the variable lists, and only when it lists some", () => {
      const s3 = dynamicStatementFor("s3:GetObject");
      expect(s3.variable).toBe("s3_bucket_names");
      expect(s3.statement.actions).toEqual(["s3:GetObject"]);
      expect(s3.statement.resources).toMatch(/^\$\{\[for (\w+) in var\.s3_bucket_names : "arn:\$\{data\.aws_partition\.current\.partition\}:s3:::\$\{\1\}\/\*"\]\}$/);
    });

    it("takes the function ARNs and bucket names as lists, empty by default", () => {
      for (const name of ["lambda_function_arns", "s3_bucket_names"]) {
        expect(get(variables, name).type).toBe("${list(string)}");
        expect(get(variables, name).default).toEqual([]);
      }
    });

    it("grants nothing else: no other action, no wildcard, no \"*\" resource, no deny or inversion to reason about", () => {
      const granted = allStatements.flatMap((statement) => strings(statement.actions, "actions"));
      const expected = [...dynamoOperationsInSource().map((operation) => `dynamodb:${operation}`), "lambda:InvokeFunctionUrl", "lambda:InvokeFunction", "s3:GetObject"];
      expect(granted.sort()).toEqual(expected.sort());
      for (const statement of allStatements) {
        expect(statement.effect ?? "Allow").toBe("Allow");
        for (const key of ["not_actions", "not_resources", "principals", "not_principals"]) expect(statement[key], key).toBeUndefined();
        for (const action of strings(statement.actions, "actions")) expect(action).not.toContain("*");
        const resourceList = typeof statement.resources === "string" ? [statement.resources] : strings(statement.resources, "resources");
        expect(resourceList.length).toBeGreaterThan(0);
        for (const resource of resourceList) {
          // The one "*" allowed is an object key under a named bucket: ":s3:::${bucket}/*".
          expect(resource.replace(/:s3:::\$\{\w+\}\/\*/, ""), resource).not.toContain("*");
        }
      }
    });
  });

  describe("variables and outputs", () => {
    it("describes every variable", () => {
      expect(variables.size).toBeGreaterThan(0);
      for (const [name, variable] of variables) expect(typeof variable.description === "string" && variable.description.trim().length > 0, `variable ${name}`).toBe(true);
    });

    it("outputs the table and region the Worker's vars name, and the key pair for its secrets", () => {
      expect(get(outputs, "cutover_dynamodb_table").value).toBe("${aws_dynamodb_table.cutover.name}");
      expect(get(outputs, "cutover_aws_region").value).toBe("${var.region}");
      expect(get(outputs, "worker_access_key_id").value).toMatch(/^\$\{aws_iam_access_key\.worker\[[^\]]+\]\.id\}$/);
      expect(get(outputs, "worker_secret_access_key").value).toMatch(/^\$\{aws_iam_access_key\.worker\[[^\]]+\]\.secret\}$/);
      expect(get(outputs, "worker_secret_access_key").sensitive).toBe(true);
      for (const name of ["CUTOVER_DYNAMODB_TABLE", "CUTOVER_AWS_REGION"]) expect(wranglerVarNames()).toContain(name);
    });

    it("marks every output that carries a secret access key sensitive", () => {
      for (const [name, output] of outputs) {
        if (String(output.value).includes(".secret")) expect(output.sensitive, `output ${name}`).toBe(true);
      }
    });

    it("puts the key pair under the Worker's own secret names in the bulk output", () => {
      const value = String(get(outputs, "worker_secrets_json").value);
      const entries = Object.fromEntries([...value.matchAll(/(\w+)\s*=\s*(aws_iam_access_key\.worker\[[^\]]+\]\.\w+)/g)].map((match) => [match[1], match[2]]));
      expect(Object.keys(entries).sort()).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
      expect(entries.AWS_ACCESS_KEY_ID).toMatch(/\.id$/);
      expect(entries.AWS_SECRET_ACCESS_KEY).toMatch(/\.secret$/);
      for (const name of Object.keys(entries)) expect(workerSecretNames()).toContain(name);
    });
  });

  describe("docs/terraform.md", () => {
    const docs = read("docs/terraform.md");

    it("names every output, and only outputs that exist", () => {
      for (const name of outputs.keys()) expect(docs, `output ${name}`).toContain(name);
      const used = [...docs.matchAll(/terraform(?: -chdir=\S+)? output -raw (\w+)/g)].map((match) => match[1] as string);
      expect(used.length).toBeGreaterThan(0);
      for (const name of used) expect([...outputs.keys()], `terraform output -raw ${name}`).toContain(name);
    });

    it("pipes each output into the Worker secret it is for, under names the Worker reads", () => {
      const secrets = workerSecretNames();
      const puts = [...docs.matchAll(/output -raw (\w+) \| npx wrangler secret put (\w+)/g)].map((match) => [match[1], match[2]]);
      expect(puts).toContainEqual(["worker_access_key_id", "AWS_ACCESS_KEY_ID"]);
      expect(puts).toContainEqual(["worker_secret_access_key", "AWS_SECRET_ACCESS_KEY"]);
      for (const [, secret] of puts) expect(secrets).toContain(secret);
      const known = new Set([...secrets, ...wranglerVarNames()]);
      for (const [name] of docs.matchAll(/\b(?:CUTOVER|AWS)_[A-Z0-9_]+\b/g)) expect(known, `${name} in docs/terraform.md`).toContain(name);
    });
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function sortByName<T extends { name: unknown }>(items: T[]): T[] {
  return [...items].sort((a, b) => String(a.name).localeCompare(String(b.name)));
}
