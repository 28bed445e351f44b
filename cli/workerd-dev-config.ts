import type { DeployedConfig } from "./deployed-config.ts";

export interface WorkerdDevSpec {
  readonly port: number;
  /** Path of the bundled ES module, relative to the config file. */
  readonly module: string;
  readonly deployed: DeployedConfig;
  /** Text bindings over the deployed `[vars]`: the stack's variables, then its secrets. */
  readonly bindings: Readonly<Record<string, string>>;
}

/**
 * The workerd configuration (Cap'n Proto text) of `cutover dev --runtime workerd`: one Worker
 * on 127.0.0.1:port with what a deploy binds, and nothing in front of it. It holds the
 * secrets, so it is written where only this user can read it.
 */
export function workerdDevConfig(spec: WorkerdDevSpec): string {
  const text = (value: string) => JSON.stringify(value);
  const bindings = Object.entries({ ...spec.deployed.vars, ...spec.bindings }).map(([name, value]) =>
    typeof value === "string" ? `    (name = ${text(name)}, text = ${text(value)}),` : `    (name = ${text(name)}, json = ${text(JSON.stringify(value))}),`,
  );
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "cutover", worker = .cutover),
    # Backends on this machine (the demo apps, a local Rails) as well as on the internet.
    (name = "outbound", network = (allow = ["public", "private", "local"], tlsOptions = (trustBrowserCas = true))),
  ],
  sockets = [
    # Cloudflare's edge sets CF-Connecting-IP to the client's address, replacing one the client
    # sent; every client of this socket is on 127.0.0.1.
    (name = "http", address = ${text(`127.0.0.1:${spec.port}`)}, service = "cutover",
     http = (injectRequestHeaders = [(name = "CF-Connecting-IP", value = "127.0.0.1")])),
  ],
);

const cutover :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed ${text(spec.module)}) ],
  compatibilityDate = ${text(spec.deployed.compatibilityDate)},
  compatibilityFlags = [${spec.deployed.compatibilityFlags.map(text).join(", ")}],
  bindings = [
${bindings.join("\n")}
  ],
  globalOutbound = "outbound",
);
`;
}
