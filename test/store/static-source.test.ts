import { createStaticSource } from "../../store/static-source.ts";
import { describeSourceContract } from "./route-store-contract.ts";

describeSourceContract("static source (CUTOVER_ROUTES)", {
  seed: async (raw) => createStaticSource(raw === undefined ? "" : JSON.stringify(raw)),
});

describeSourceContract("static source (TOML table object)", {
  seed: async (raw) => createStaticSource(raw),
});
