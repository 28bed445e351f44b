import { createDynamoApi } from "../../store/dynamo-api.ts";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { createDynamoStore } from "../../store/dynamo-store.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import type { RouteTableStore } from "../../store/route-store.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { createShadowStore } from "../../store/shadow-store.ts";
import { faultyDynamo, writesHourlyKey } from "../support/faulty-dynamo.ts";
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
        if (raw !== undefined) {
          // publish() stores what it is given; the admin API validates before it. Seeding an
          // invalid table this way is how a damaged or hand-edited item looks to a reader.
          const seeded = await open(tableName).publish({ table: raw as RouteTable, expectedVersion: 0, author: "seed", reason: "seed", action: "apply" });
          if (!seeded.ok) throw new Error("seed failed");
        }
        return open(tableName);
      },
    },
  };
}
