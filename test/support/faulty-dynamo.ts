import type { DynamoApi } from "../../store/dynamo-api.ts";
import { DynamoRequestError } from "../../store/dynamo-request-error.ts";

/**
 * How an injected fault behaves, as seen from the caller:
 * - `refused`: DynamoDB answered with an error and did nothing (a throttle, a 400);
 * - `lost`: DynamoDB did the work but the answer never came back (a reset after the write);
 * - `dropped`: the call never reached DynamoDB and no answer came back either.
 */
export type Fault = "refused" | "lost" | "dropped";
type Operation = keyof DynamoApi;

/**
 * A DynamoDB client over a real one (dynalite) that fails chosen calls, for testing what the
 * stores do under faults: `fail("updateItem", "lost", (input) => …)` fails the next matching
 * call once.
 */
export function faultyDynamo(inner: DynamoApi) {
  const rules: { operation: Operation; fault: Fault; match: (input: unknown) => boolean; times: number }[] = [];
  const calls: { operation: Operation; fault: Fault | undefined }[] = [];
  const wrap =
    <K extends Operation>(operation: K) =>
    async (input: Parameters<DynamoApi[K]>[0]): Promise<Awaited<ReturnType<DynamoApi[K]>>> => {
      const rule = rules.find((candidate) => candidate.operation === operation && candidate.times > 0 && candidate.match(input));
      calls.push({ operation, fault: rule?.fault });
      const call = () => (inner[operation] as (input: unknown) => Promise<Awaited<ReturnType<DynamoApi[K]>>>)(input);
      if (rule === undefined) return call();
      rule.times--;
      if (rule.fault === "refused") throw new DynamoRequestError("ProvisionedThroughputExceededException", `injected: ${operation} refused`, 400);
      if (rule.fault === "lost") await call();
      throw new DynamoRequestError("NetworkError", `injected: ${operation} answer lost`, 0);
    };
  const client: DynamoApi = { getItem: wrap("getItem"), putItem: wrap("putItem"), updateItem: wrap("updateItem"), query: wrap("query") };
  return {
    client,
    calls,
    /** Fails the next `times` calls of `operation` that `match` (default: every call). */
    fail(operation: Operation, fault: Fault, match: (input: unknown) => boolean = () => true, times = 1) {
      rules.push({ operation, fault, match, times });
    },
  };
}

/** Whether an UpdateItem or PutItem input writes the item whose sort key is `sk`. */
export function writesKey(sk: string): (input: unknown) => boolean {
  return (input) => {
    const record = input as { Key?: { sk?: { S?: string } }; Item?: { sk?: { S?: string } } };
    return (record.Key?.sk?.S ?? record.Item?.sk?.S) === sk;
  };
}

/** Whether an UpdateItem writes a shadow counter item of kind `sk` (`stats`, `field#…`) in any hour bucket. */
export function writesHourlyKey(sk: string): (input: unknown) => boolean {
  return (input) => {
    const key = (input as { Key?: { sk?: { S?: string } } }).Key?.sk?.S ?? "";
    return key.startsWith("h#") && key.slice(16) === sk;
  };
}
