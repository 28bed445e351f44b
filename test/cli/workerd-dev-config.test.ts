import { describe, expect, it } from "vitest";
import { workerdDevConfig } from "../../cli/workerd-dev-config.ts";

const deployed = { compatibilityDate: "2026-11-01", compatibilityFlags: ["nodejs_compat"], vars: { CUTOVER_METRICS: "on", CUTOVER_RESPONSE_HEADERS: "off", LIMITS: { max: 3 } } };

describe("workerdDevConfig", () => {
  const config = workerdDevConfig({ port: 8787, module: "bundle/index.js", deployed, bindings: { CUTOVER_RESPONSE_HEADERS: "on", CUTOVER_SESSION_SECRET: 'quo"te\\d' } });

  it("binds the deployed [vars] with the stack's values over them, each once", () => {
    expect(config).toContain('(name = "CUTOVER_METRICS", text = "on"),');
    expect(config.match(/CUTOVER_RESPONSE_HEADERS/g)).toHaveLength(1);
    expect(config).toContain('(name = "CUTOVER_RESPONSE_HEADERS", text = "on"),');
    expect(config).toContain(`(name = "LIMITS", json = ${JSON.stringify('{"max":3}')}),`);
  });

  it("writes a value with quotes and backslashes as a literal string", () => {
    expect(config).toContain(`(name = "CUTOVER_SESSION_SECRET", text = ${JSON.stringify('quo"te\\d')}),`);
  });

  it("runs what a deploy runs, on loopback only, with the client's address set as the edge sets it", () => {
    expect(config).toContain('compatibilityDate = "2026-11-01"');
    expect(config).toContain('compatibilityFlags = ["nodejs_compat"]');
    expect(config).toContain('esModule = embed "bundle/index.js"');
    expect(config).toContain('address = "127.0.0.1:8787"');
    expect(config).toContain('injectRequestHeaders = [(name = "CF-Connecting-IP", value = "127.0.0.1")]');
  });
});
