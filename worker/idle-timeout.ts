import { raceTimeout, TIMED_OUT } from "../lib/timeout.ts";

/**
 * A response body that errors when the backend sends nothing for `idleMs` between two
 * chunks (a backend's `idleTimeoutMs`): the client sees the response end with an error
 * instead of waiting for ever, and the backend's connection is released.
 */
export function withIdleTimeout(body: ReadableStream<Uint8Array>, idleMs: number, onStall: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await raceTimeout(reader.read(), idleMs);
      if (next === TIMED_OUT) {
        onStall();
        await reader.cancel("idle timeout").catch(() => {});
        controller.error(new Error(`the backend sent nothing for ${idleMs} ms`));
      } else if (next.done) {
        controller.close();
      } else {
        controller.enqueue(next.value);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
