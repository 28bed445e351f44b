/**
 * What reading the signed-in user costs a request (Node's WebCrypto, in-process): µs per
 * Rails session cookie read (AES-256-GCM decrypt, envelope and JSON), per identity token
 * signed (claims + HMAC-SHA256), per cohort minted, and the whole of what a request to an
 * identity backend adds. The key derivations (PBKDF2, 1000 iterations) happen once per
 * isolate and are shown apart. Targets are interleaved round by round; the median and the
 * spread (min–max of the rounds) are printed.
 *
 *   node bench/identity.ts            7 rounds
 *   node bench/identity.ts --quick    3 rounds
 */
import { readFileSync } from "node:fs";
import { identityClaims } from "../identity/identity-claims.ts";
import { hs256Key, signJwt } from "../identity/jwt.ts";
import { railsCookieKey, readRailsSession } from "../identity/rails-session.ts";
import { toBase64Url } from "../lib/base64.ts";

interface Fixtures {
  readonly secretKeyBase: string;
  readonly cookie: string;
  readonly variants: { readonly json: Readonly<Record<string, { readonly cookies: readonly string[] }>> };
}

const fixtures = JSON.parse(readFileSync(new URL("../fixtures/rails-session/cookies.json", import.meta.url), "utf8")) as Fixtures;
const cookie = fixtures.variants.json.user42?.cookies[0];
if (cookie === undefined) throw new Error("fixtures/rails-session/cookies.json has no user42 cookie");
const now = Date.now();
const expected = { cookie: fixtures.cookie, now };
const sessionKey = await railsCookieKey(fixtures.secretKeyBase, "sha1");
const tokenKey = await hs256Key("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
const policy = { fields: ["user_id"], ttlSeconds: 60 };

const read = async () => {
  const session = await readRailsSession(cookie, sessionKey, expected);
  if (!session.ok) throw new Error(`the fixture cookie did not read: ${session.error}`);
  return session.value;
};
const session = await read();

const targets: Readonly<Record<string, () => Promise<unknown>>> = {
  "read the session cookie": read,
  "sign an identity token": async () => signJwt(identityClaims(session, "orders", policy, Math.floor(now / 1000)) ?? {}, tokenKey),
  // worker/cohort-cookie.ts's mintCohort, which Node's type check cannot import (Workers types).
  "mint a cohort (16 random bytes, base64url)": async () => toBase64Url(crypto.getRandomValues(new Uint8Array(16))),
  "read + sign (a request to an identity backend)": async () => signJwt(identityClaims(await read(), "orders", policy, Math.floor(now / 1000)) ?? {}, tokenKey),
};

async function perCall(run: () => Promise<unknown>, calls: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await run();
  return Number(process.hrtime.bigint() - started) / 1000 / calls;
}

const quick = process.argv.includes("--quick");
const rounds = quick ? 3 : 7;
const calls = quick ? 2_000 : 10_000;
for (const run of Object.values(targets)) await perCall(run, 500); // warm up
const samples = new Map<string, number[]>(Object.keys(targets).map((name) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(targets)) samples.get(name)?.push(await perCall(run, calls));
}

const derive = async (digest: "sha1" | "sha256") => {
  const started = process.hrtime.bigint();
  await railsCookieKey(fixtures.secretKeyBase, digest);
  return Number(process.hrtime.bigint() - started) / 1000;
};
const rows = [...samples].map(([name, values]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { target: name, "µs per call (median)": round2(sorted[Math.floor(sorted.length / 2)] ?? 0), spread: `${round2(sorted[0] ?? 0)}–${round2(sorted.at(-1) ?? 0)}` };
});
console.table(rows);
console.log(`once per isolate: the session key (PBKDF2-SHA1, 1000 iterations) ${round2(await derive("sha1"))} µs, SHA-256 ${round2(await derive("sha256"))} µs`);

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
