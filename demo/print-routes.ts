/**
 * The demo legacy app's route list, as `bin/rails routes` prints a Rails app's:
 *
 *   node demo/print-routes.ts > routes.txt && npx cutover legacy import routes.txt --reason "the demo app"
 */
import { LEGACY_ROUTES } from "./legacy-app.ts";

process.stdout.write(LEGACY_ROUTES);
