/**
 * The benchmark's origin: a small Node HTTP server on 127.0.0.1 answering every request with
 * a fixed 1 KB JSON body, and `/bytes/<n>` with n bytes streamed (for the memory test).
 * Runs as its own process (`node bench/upstream.ts PORT...`), one listener per port.
 */
import http from "node:http";

const body = Buffer.from(JSON.stringify({ id: 1, name: "Ada Lovelace", padding: "x".repeat(1024 - 60) }).slice(0, 1024));
const chunk = Buffer.alloc(64 * 1024, 97);

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const bytes = /\/bytes\/(\d+)$/.exec(req.url ?? "");
  if (bytes) {
    req.resume();
    const total = Number(bytes[1]);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": total });
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        const slice = chunk.subarray(0, Math.min(chunk.length, total - sent));
        sent += slice.length;
        if (!res.write(slice)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
    return;
  }
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  });
}

const ports = process.argv.slice(2).map(Number);
for (const port of ports) {
  const server = http.createServer(handle);
  server.keepAliveTimeout = 60_000;
  server.listen(port, "127.0.0.1");
}
process.send?.("ready");
