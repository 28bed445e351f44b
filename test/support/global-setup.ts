import net from "node:net";
import type { TestProject } from "vitest/node";
import { startLocalDynamo } from "../../cli/local-dynamo.ts";
import { AWS_TEST_CREDENTIALS } from "./aws-test-credentials.ts";
import { refusedPort, startUpstream } from "./upstream.ts";

import "./provided-context.ts";

/** Real parts on 127.0.0.1: backends (legacy, new, a spare for fallbacks) and DynamoDB. */
export default async function setup(project: TestProject) {
  const legacy = await startUpstream("legacy");
  const fresh = await startUpstream("new");
  const spare = await startUpstream("spare");
  project.provide("legacyPort", legacy.port);
  project.provide("newPort", fresh.port);
  project.provide("sparePort", spare.port);
  project.provide("refusedPort", await refusedPort());
  const keys = { [AWS_TEST_CREDENTIALS.accessKeyId]: AWS_TEST_CREDENTIALS.secretAccessKey };
  const lambda = await startUpstream("lambda", { verify: { keys, region: "us-east-1", service: "lambda" } });
  const s3 = await startUpstream("s3", { verify: { keys, region: "us-east-1", service: "s3" } });
  project.provide("lambdaPort", lambda.port);
  project.provide("s3Port", s3.port);
  // A store that accepts connections and never answers: what a hanging DynamoDB looks like.
  const hanging = net.createServer(() => {});
  await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
  project.provide("hangingPort", (hanging.address() as net.AddressInfo).port);
  const dynamo = await startLocalDynamo();
  project.provide("dynamoEndpoint", dynamo.endpoint);
  return async () => {
    hanging.close();
    await Promise.all([legacy.close(), fresh.close(), spare.close(), lambda.close(), s3.close(), dynamo.close()]);
  };
}
