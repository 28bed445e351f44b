import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { RolloutState } from "../rollout/decide.ts";
import { upgradeStoredPlan } from "../rollout/plan.ts";
import type { DynamoApi } from "./dynamo-api.ts";
import { DynamoRequestError } from "./dynamo-request-error.ts";
import { queryItems } from "./query-items.ts";

/**
 * Rollouts in the cutover table, one item per route under `pk = rollouts`, so that one Query
 * lists them all (DESIGN.md names `rollout#<route>`; a partition per route would need a Scan
 * to find the running ones every minute). Every write is conditional on the stored revision:
 * two ticks (or a tick and an operator) never both act on one state.
 */
export interface RolloutStore {
  get(route: string): Promise<RolloutState | undefined>;
  /** Every rollout, running or finished, by route. */
  list(): Promise<RolloutState[]>;
  /**
   * Stores `next` if the stored one still has revision `expected` (0: there is none, or it
   * finished: a route gets a new rollout only when its last one is over). False when another
   * writer got there first.
   */
  put(next: RolloutState, expected: number): Promise<boolean>;
}

const PK = "rollouts";

export function createRolloutStore(options: { client: DynamoApi; tableName: string }): RolloutStore {
  const { client, tableName } = options;
  const parse = (item: Record<string, unknown> | undefined): RolloutState | undefined => {
    if (item === undefined || typeof item.state !== "string") return undefined;
    const state = JSON.parse(item.state) as RolloutState;
    // A plan stored by an earlier cutover: `minRequests` is `minUsers` now.
    return { ...state, plan: upgradeStoredPlan(state.plan) };
  };
  return {
    async get(route) {
      const { Item } = await client.getItem({ TableName: tableName, Key: marshall({ pk: PK, sk: route }), ConsistentRead: true });
      return Item === undefined ? undefined : parse(unmarshall(Item));
    },

    async list() {
      const states: RolloutState[] = [];
      for await (const item of queryItems(client, { TableName: tableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: marshall({ ":pk": PK }), ConsistentRead: true })) {
        const state = parse(item);
        if (state) states.push(state);
      }
      return states;
    },

    async put(next, expected) {
      try {
        await client.putItem({
          TableName: tableName,
          Item: marshall({ pk: PK, sk: next.route, state: JSON.stringify(next), revision: next.revision, status: next.status, updatedAt: next.updatedAt }),
          ...(expected === 0
            ? {
                ConditionExpression: "attribute_not_exists(pk) OR NOT (#status IN (:running, :paused))",
                ExpressionAttributeNames: { "#status": "status" },
                ExpressionAttributeValues: marshall({ ":running": "running", ":paused": "paused" }),
              }
            : { ConditionExpression: "revision = :expected", ExpressionAttributeValues: marshall({ ":expected": expected }) }),
        });
        return true;
      } catch (error) {
        if (error instanceof DynamoRequestError && error.code === "ConditionalCheckFailedException") return false;
        throw error;
      }
    },
  };
}
