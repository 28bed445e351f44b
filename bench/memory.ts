/**
 * Memory of the workerd process while large bodies pass through cutover: a 200 MB download
 * on a plain route, and on a shadowed route a chunked upload over the shadow's cap answered
 * by a 200 MB download (before the hardening issue, the client's response was teed into a
 * branch nobody read, so the whole download piled up in the isolate).
 *
 *   node bench/memory.ts        (starts the benchmark stack, measures, stops)
 */
import http from "node:http";
import { rssOf, startBenchStack, type BenchStack } from "./stack.ts";

const DOWNLOAD_BYTES = 200 * 1024 * 1024;

export interface MemoryRun {
  readonly bodyBytes: number;
  readonly seconds: number;
  readonly rssBeforeMb: number;
  readonly peakGrowthMb: number;
}

/** RSS growth of `pid` while `send` runs, sampled every 20 ms. */
async function measure(pid: number, send: () => Promise<number>): Promise<MemoryRun> {
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const before = rssOf(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
  const started = Date.now();
  const bytes = await send();
  clearInterval(sampler);
  peak = Math.max(peak, rssOf(pid));
  return { bodyBytes: bytes, seconds: (Date.now() - started) / 1000, rssBeforeMb: before / 2 ** 20, peakGrowthMb: (peak - before) / 2 ** 20 };
}

/** A GET whose response is read to the end; the byte count. */
async function download(url: string): Promise<number> {
  const response = await fetch(url);
  let bytes = 0;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) bytes += chunk.value.byteLength;
  return bytes;
}

/** A chunked POST of `uploadBytes` (no Content-Length), its response read to the end. */
function chunkedUpload(url: string, uploadBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: { "content-type": "application/octet-stream" } }, (response) => {
      let bytes = 0;
      response.on("data", (chunk: Buffer) => (bytes += chunk.length));
      response.on("end", () => resolve(bytes));
      response.on("error", reject);
    });
    request.on("error", reject);
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let sent = 0; sent < uploadBytes; sent += chunk.length) request.write(chunk);
    request.end();
  });
}

export async function benchMemory(pid: number, targets: BenchStack["memoryTargets"]) {
  return {
    streaming: await measure(pid, () => download(`${targets.download}${DOWNLOAD_BYTES}`)),
    shadowedUploadOverCap: await measure(pid, () => chunkedUpload(`${targets.shadowedUpload}${DOWNLOAD_BYTES}`, 1024 * 1024)),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const stack = await startBenchStack();
  try {
    console.log(JSON.stringify(await benchMemory(stack.workerdPid, stack.memoryTargets), null, 2));
  } finally {
    stack.stop();
  }
  process.exit(0);
}
