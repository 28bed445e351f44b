/**
 * The embedded DynamoDB in a process of its own, so that neither the load generator nor the
 * benchmark runner shares an event loop with it. Sends its endpoint to the parent.
 */
import { startLocalDynamo } from "../cli/local-dynamo.ts";

const dynamo = await startLocalDynamo();
process.send?.(dynamo.endpoint);
process.on("disconnect", () => void dynamo.close().then(() => process.exit(0)));
