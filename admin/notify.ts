import { toHex } from "../lib/hex.ts";
import { logEvent } from "../lib/log.ts";
import { sleep } from "../lib/timeout.ts";
import { webhookHost, webhookProblem } from "../rollout/webhook-destination.ts";

const ATTEMPTS = 3;
const TIMEOUT_MS = 5000;
export const SIGNATURE_HEADER = "cutover-signature";

/** How messages are sent: signed with CUTOVER_WEBHOOK_SECRET, to public https destinations (unless the local stack allows private ones). */
export interface WebhookSettings {
  readonly secret: string | undefined;
  readonly allowPrivate: boolean;
}

/**
 * Posts a webhook message: up to three attempts (1 s, then 2 s apart) on a network error, a
 * timeout, a 429 or a 5xx; never throws. Run it in waitUntil: a tick never waits for it.
 *
 * Each message carries `Cutover-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
 * keyed with CUTOVER_WEBHOOK_SECRET (Stripe's scheme: the receiver recomputes it over the raw
 * body and refuses an old `t`, so a captured message cannot be replayed later). Without the
 * secret, or to a destination `webhookProblem` refuses (checked again here: a plan stored
 * before the rule), nothing is sent.
 */
export async function sendWebhook(url: string, message: unknown, settings: WebhookSettings, fetcher: typeof fetch = fetch, now: () => number = Date.now): Promise<boolean> {
  const problem = webhookProblem(url, { allowPrivate: settings.allowPrivate });
  if (problem !== undefined || settings.secret === undefined) {
    logEvent("error", "webhook_not_sent", { url: webhookHost(url), reason: problem ?? "CUTOVER_WEBHOOK_SECRET is not set" });
    return false;
  }
  const body = JSON.stringify(message);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const headers = { "content-type": "application/json", [SIGNATURE_HEADER]: await signWebhook(settings.secret, body, Math.floor(now() / 1000)) };
      const response = await fetcher(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS) });
      await response.body?.cancel();
      if (response.ok) return true;
      if (response.status !== 429 && response.status < 500) {
        logEvent("warn", "webhook_refused", { url: webhookHost(url), status: response.status });
        return false;
      }
      logEvent("warn", "webhook_failed", { url: webhookHost(url), attempt, status: response.status });
    } catch (error) {
      logEvent("warn", "webhook_failed", { url: webhookHost(url), attempt, error });
    }
    if (attempt < ATTEMPTS) await sleep(1000 * attempt);
  }
  return false;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>">`. */
export async function signWebhook(secret: string, body: string, unixSeconds: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${unixSeconds}.${body}`));
  return `t=${unixSeconds},v1=${toHex(new Uint8Array(signature))}`;
}
