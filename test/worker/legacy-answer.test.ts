import { describe, expect, it } from "vitest";
import { isJson, legacyIdOf, legacyLocationOf } from "../../worker/legacy-answer.ts";

describe("legacy's answer beside a dual write", () => {
  it.each([
    [{ id: 42, uuid: "u-1" }, "42"],
    [{ id: "acc_42" }, "acc_42"],
    [{ uuid: "5f0c7b8e-4a1e-4f3e-9c1a-2b7d8e9f0a1b" }, "5f0c7b8e-4a1e-4f3e-9c1a-2b7d8e9f0a1b"],
    [{ data: { id: "7", type: "accounts" } }, "7"],
    // The first field that holds an id wins; one that cannot be a header's id is skipped.
    [{ id: "has a space", uuid: "u-2" }, "u-2"],
    [{ id: 1.5, data: { id: 9 } }, "9"],
    [{ id: "a,b" }, undefined],
    [{ id: "x".repeat(201) }, undefined],
    [{ id: Number.MAX_SAFE_INTEGER + 2 }, undefined],
    [{ data: [{ id: 1 }] }, undefined],
    [{ account: { id: 1 } }, undefined],
    [[{ id: 1 }], undefined],
  ])("reads %j as id %s", (body, id) => {
    expect(legacyIdOf(JSON.stringify(body))).toBe(id);
  });

  it("reads no id from what is not JSON", () => {
    expect(legacyIdOf("<html>id: 1</html>")).toBeUndefined();
    expect(legacyIdOf('{"id": 1')).toBeUndefined();
  });

  it("reads only JSON answers, and passes on a Location of reasonable length", () => {
    expect(isJson("application/json")).toBe(true);
    expect(isJson("application/vnd.api+json; charset=utf-8")).toBe(true);
    expect(isJson("text/html")).toBe(false);
    expect(isJson("application/jsonp")).toBe(false);
    expect(isJson(null)).toBe(false);
    expect(legacyLocationOf(new Headers({ location: "/accounts/42" }))).toBe("/accounts/42");
    expect(legacyLocationOf(new Headers({ location: `/${"a".repeat(2048)}` }))).toBeUndefined();
    expect(legacyLocationOf(new Headers())).toBeUndefined();
  });
});
