import { describe, expect, it } from "vitest";
import { verifySigV4, type ReceivedRequest } from "../../demo/sigv4-verify.ts";
import { signAws } from "../../aws/sign.ts";
import { canonicalQuery } from "../../aws/canonical-query.ts";

// AWS's published SigV4 test suite (aws-sig-v4-test-suite): these credentials, this date.
const SUITE = {
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
  region: "us-east-1",
  service: "service",
  datetime: "20150830T123600Z",
};
const scope = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

interface Vector {
  readonly name: string;
  readonly method: string;
  readonly target: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly signed: string;
  readonly signature: string;
}

const vectors: Vector[] = [
  { name: "get-vanilla", method: "GET", target: "/", headers: {}, body: "", signed: "host;x-amz-date", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
  { name: "post-vanilla", method: "POST", target: "/", headers: {}, body: "", signed: "host;x-amz-date", signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
  {
    name: "get-vanilla-query-order-key-case",
    method: "GET",
    target: "/?Param2=value2&Param1=value1",
    headers: {},
    body: "",
    signed: "host;x-amz-date",
    signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
  },
  {
    name: "get-vanilla-query-order-value",
    method: "GET",
    target: "/?Param1=value2&Param1=value1",
    headers: {},
    body: "",
    signed: "host;x-amz-date",
    signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
  },
  {
    name: "get-header-value-trim",
    method: "GET",
    target: "/",
    headers: { "my-header1": " value1", "my-header2": ' "a   b   c"' },
    body: "",
    signed: "host;my-header1;my-header2;x-amz-date",
    signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
  },
  {
    name: "post-x-www-form-urlencoded",
    method: "POST",
    target: "/",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "Param1=value1",
    signed: "content-type;host;x-amz-date",
    signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
  },
];

function received(vector: Vector, authorization: string, overrides: Partial<ReceivedRequest> = {}): ReceivedRequest {
  return {
    method: vector.method,
    target: vector.target,
    headers: { host: "example.amazonaws.com", "x-amz-date": SUITE.datetime, authorization, ...vector.headers },
    body: new TextEncoder().encode(vector.body),
    ...overrides,
  };
}

const verifyOptions = { keys: { AKIDEXAMPLE: SUITE.credentials.secretAccessKey }, region: "us-east-1", service: "service", now: new Date("2015-08-30T12:36:00Z") };

describe("SigV4 against AWS's published test suite", () => {
  it.each(vectors)("$name: cutover's signer produces the published signature", async (vector) => {
    const signed = await signAws({
      ...SUITE,
      method: vector.method,
      url: `https://example.amazonaws.com${vector.target}`,
      signedHeaders: vector.headers,
      body: vector.body || null,
    });
    expect(signed.get("authorization")).toBe(`${scope}, SignedHeaders=${vector.signed}, Signature=${vector.signature}`);
    expect(signed.get("x-amz-date")).toBe(SUITE.datetime);
  });

  it.each(vectors)("$name: the test backends' verifier accepts the published signature", (vector) => {
    const authorization = `${scope}, SignedHeaders=${vector.signed}, Signature=${vector.signature}`;
    expect(verifySigV4(received(vector, authorization), verifyOptions)).toEqual({ ok: true, accessKeyId: "AKIDEXAMPLE" });
  });

  it("signs the S3 documentation's GET Object example", async () => {
    const signed = await signAws({
      method: "GET",
      url: "https://examplebucket.s3.amazonaws.com/test.txt",
      signedHeaders: { range: "bytes=0-9", "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
      body: null,
      region: "us-east-1",
      service: "s3",
      credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
      datetime: "20130524T000000Z",
    });
    expect(signed.get("authorization")).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    );
  });
});

describe("the verifier rejects what AWS rejects", () => {
  const vanilla = vectors[0] as Vector;
  const good = `${scope}, SignedHeaders=host;x-amz-date, Signature=${vanilla.signature}`;

  it.each([
    ["a wrong signature", received(vanilla, good.replace(/.$/, "0")), verifyOptions, /does not match/],
    ["a tampered body", received(vanilla, good, { method: "GET", body: new TextEncoder().encode("x") }), verifyOptions, /does not match/],
    ["another service", received(vanilla, good), { ...verifyOptions, service: "lambda" }, /service service, expected lambda/],
    ["another region", received(vanilla, good), { ...verifyOptions, region: "eu-west-1" }, /region us-east-1, expected eu-west-1/],
    ["a stale date", received(vanilla, good), { ...verifyOptions, now: new Date("2015-08-30T13:00:00Z") }, /expired/],
    ["an unknown key", received(vanilla, good), { ...verifyOptions, keys: {} }, /unknown access key/],
    ["no signature", received(vanilla, ""), verifyOptions, /missing or malformed/],
  ])("rejects %s", (_name, request, options, reason) => {
    const result = verifySigV4(request, options);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe("canonical query strings: signed exactly as sent", () => {
  it.each([
    ["", ""],
    ["?", ""],
    ["?b=2&a=1", "?b=2&a=1"],
    ["?a=1&a=0", "?a=1&a=0"],
    ["?empty=&flag", "?empty=&flag="],
    ["?sp=a+b&pct=a%20b", "?sp=a%20b&pct=a%20b"],
    ["?plus=%2B&slash=%2f&q=%3F", "?plus=%2B&slash=%2F&q=%3F"],
    ["?utf=%E2%9C%93&raw=✓", "?utf=%E2%9C%93&raw=%E2%9C%93"],
    ["?star=*&paren=(x)&bang=!&quote='", "?star=%2A&paren=%28x%29&bang=%21&quote=%27"],
    ["?=nameless&x=1", "?x=1"],
  ])("%s → %s", (input, expected) => {
    expect(canonicalQuery(input)).toBe(expected);
  });

  it.each(["?b=2&a=1&a=0&empty=&flag", "?sp=a+b&plus=%2B&slash=%2f&utf=%E2%9C%93&star=*", "?x=%25&y=a%26b%3Dc"])(
    "a signed request with %s verifies as received",
    async (search) => {
      const query = canonicalQuery(search);
      const url = `http://127.0.0.1:9000/api/a%20b/c${query}`;
      const credentials = { accessKeyId: "AKID", secretAccessKey: "secret" };
      const signed = await signAws({ method: "GET", url, body: null, region: "us-east-1", service: "lambda", credentials });
      const result = verifySigV4(
        {
          method: "GET",
          target: `/api/a%20b/c${query}`,
          headers: { host: "127.0.0.1:9000", "x-amz-date": signed.get("x-amz-date") ?? "", authorization: signed.get("authorization") ?? "" },
          body: new Uint8Array(0),
        },
        { keys: { AKID: "secret" }, region: "us-east-1", service: "lambda", now: new Date() },
      );
      expect(result).toEqual({ ok: true, accessKeyId: "AKID" });
    },
  );
});
