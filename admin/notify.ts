import { logEvent } from "../lib/log.ts";
import { sleep } from "../lib/timeout.ts";

const ATTEMPTS = 3;
const TIMEOUT_MS = 5000;

/**
 * Posts a webhook message: up to three attempts (1 s, then 2 s apart) on a network error, a
 * timeout, a 429 or a 5xx; never throws. Run it in waitUntil: a tick never waits for it.
 */
export async function sendWebhook(url: string, message: unknown, fetcher: typeof fetch = fetch): Promise<boolean> {
  const body = JSON.stringify(message);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const response = await fetcher(url, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
      await response.body?.cancel();
      if (response.ok) return true;
      if (response.status !== 429 && response.status < 500) {
        logEvent("warn", "webhook_refused", { url: redactUrl(url), status: response.status });
        return false;
      }
      logEvent("warn", "webhook_failed", { url: redactUrl(url), attempt, status: response.status });
    } catch (error) {
      logEvent("warn", "webhook_failed", { url: redactUrl(url), attempt, error });
    }
    if (attempt < ATTEMPTS) await sleep(1000 * attempt);
  }
  return false;
}

/** A webhook URL's path is its secret (Slack's /services/T…/B…/x…): logs get the origin only. */
function redactUrl(url: string): string {
  return URL.canParse(url) ? `${new URL(url).origin}/…` : "(invalid url)";
}
