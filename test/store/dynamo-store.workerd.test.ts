import { inject } from "vitest";
import { dynamoFixtures } from "./dynamo-fixture.ts";
import { describeShadowStoreContract } from "./shadow-store-contract.ts";
import { describeSourceContract, describeStoreContract } from "./route-store-contract.ts";

const fixtures = dynamoFixtures(inject("dynamoEndpoint"));
describeSourceContract("DynamoDB store, inside workerd", fixtures.source);
describeStoreContract("DynamoDB store, inside workerd", fixtures.store);
describeShadowStoreContract("DynamoDB shadow store, inside workerd", fixtures.shadow);
