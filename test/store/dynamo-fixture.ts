import { createDynamoApi } from "../../store/dynamo-api.ts";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { createDynamoStore } from "../../store/dynamo-store.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import type { RouteTableStore } from "../../store/route-store.ts";
import { createShadowStore } from "../../store/shadow-store.ts";
import { faultyDynamo, writesHourlyKey } from "../support/faulty-dynamo.ts";
import { writeUncheckedVersion } from "../support/write-unchecked-version.ts";
import type { SourceFixture, StoreFixture } from "./route-store-contract.ts";
import type { ShadowStoreFixture } from "./shadow-store-contract.ts";

/** DynamoDB stores over the embedded DynamoDB at `endpoint`, each in a table of its own. */
export function dynamoFixtures(endpoint: string): { source: SourceFixture; store: StoreFixture; shadow: ShadowStoreFixture; connection: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string } } {
  const connection = { endpoint, region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };
  const client = createDynamoClient(connection, 3);
  const api = createDynamoApi(connection);
  const freshTable = async () => {
    const tableName = `cutover-test-${crypto.randomUUID()}`;
    await ensureTable(client, tableName);
    return tableName;
  };
  const open = (tableName: string): RouteTableStore => createDynamoStore({ client: api, tableName });
  return {
    connection,
    shadow: {
      async create() {
        const tableName = await freshTable();
        const faulty = faultyDynamo(api);
        return {
          store: createShadowStore({ client: faulty.client, tableName }),
          failNextWrite: (sk, fault) => faulty.fail("updateItem", fault, writesHourlyKey(sk)),
          writes: () => faulty.calls.filter((call) => call.operation === "updateItem" || call.operation === "putItem").length,
        };
      },
    },
    store: {
      async create() {
        const tableName = await freshTable();
        return { store: open(tableName), reopen: () => open(tableName) };
      },
    },
    source: {
      async seed(raw) {
        const tableName = await freshTable();
        // `raw` exactly as given, possibly invalid: written as a hand edit or an older release
        // would write it (publish() takes only a validated table), so the reader validates it in full.
        if (raw !== undefined) await writeUncheckedVersion({ client: api, tableName }, raw, { author: "seed", reason: "seed" });
        return open(tableName);
      },
    },
  };
}
