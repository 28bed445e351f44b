/**
 * A workerd configuration (Cap'n Proto text) serving several Workers, each on its own port
 * of 127.0.0.1, with outbound fetches allowed to loopback (the benchmark's origin).
 */
export interface WorkerSpec {
  readonly name: string;
  readonly port: number;
  /** Path of the bundled ES module, relative to the config file. */
  readonly module: string;
  readonly bindings: Readonly<Record<string, string>>;
}

export function workerdConfig(workers: readonly WorkerSpec[], compatibilityDate: string): string {
  const text = (value: string) => JSON.stringify(value);
  const services = workers.map((w) => `    (name = ${text(w.name)}, worker = .${ident(w.name)}),`).join("\n");
  const sockets = workers.map((w) => `    (name = ${text(`${w.name}-http`)}, address = ${text(`127.0.0.1:${w.port}`)}, http = (), service = ${text(w.name)}),`).join("\n");
  const definitions = workers
    .map(
      (w) => `const ${ident(w.name)} :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed ${text(w.module)}) ],
  compatibilityDate = ${text(compatibilityDate)},
  bindings = [
${Object.entries(w.bindings)
  .map(([name, value]) => `    (name = ${text(name)}, text = ${text(value)}),`)
  .join("\n")}
  ],
  globalOutbound = "loopback",
);`,
    )
    .join("\n\n");
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
${services}
    (name = "loopback", network = (allow = ["local", "private", "public"])),
  ],
  sockets = [
${sockets}
  ],
);

${definitions}
`;
}

function ident(name: string): string {
  return `w${name.replace(/[^A-Za-z0-9]/g, "")}`;
}
