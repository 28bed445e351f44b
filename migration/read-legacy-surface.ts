import type { LegacyEndpoint, SurfaceFormat, SurfaceProblem } from "./legacy-endpoint.ts";
import { parseOpenApi } from "./parse-openapi.ts";
import { parseRailsExpanded, parseRailsRoutes } from "./parse-rails-routes.ts";

/** What a file read as a legacy surface gave. */
export interface ReadSurface {
  readonly format: SurfaceFormat;
  readonly endpoints: LegacyEndpoint[];
  readonly problems: SurfaceProblem[];
}

/**
 * Which form a file is in: JSON with `openapi`/`swagger` is OpenAPI; `--[ Route 1 ]` blocks
 * are `bin/rails routes --expanded`; anything else is read as the default table. YAML
 * OpenAPI is recognized only to say it is not read.
 */
export function detectFormat(text: string): SurfaceFormat | "openapi-yaml" {
  const start = text.trimStart();
  if (start.startsWith("{")) return "openapi";
  if (/^(openapi|swagger):/m.test(text) && /^paths:/m.test(text)) return "openapi-yaml";
  if (/^--\[ Route \d+ \]/m.test(text)) return "rails-expanded";
  return "rails";
}

/** A route list or API description, in the form given or the one detected. */
export function readLegacySurface(text: string, format?: SurfaceFormat): ReadSurface {
  const detected = format ?? detectFormat(text);
  if (detected === "openapi-yaml") {
    return { format: "openapi", endpoints: [], problems: [{ line: 0, text: "", message: "an OpenAPI document in YAML: convert it to JSON first (e.g. `yq -o=json . api.yaml > api.json`); cutover reads OpenAPI as JSON only" }] };
  }
  if (detected === "openapi") {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      return { format: detected, endpoints: [], problems: [{ line: 0, text: "", message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` }] };
    }
    return { format: detected, ...parseOpenApi(document) };
  }
  return { format: detected, ...(detected === "rails-expanded" ? parseRailsExpanded(text) : parseRailsRoutes(text)) };
}
