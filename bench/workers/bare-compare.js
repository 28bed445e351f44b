// The floor of a shadowed request: bare.js plus the comparison of a copy (compared-copy.js).
// What cutover's shadowing costs over this is its own; what this costs over bare.js is the
// comparison's floor.
import bare from "./bare.js";
import { withComparedCopy } from "./compared-copy.js";

export default {
  async fetch(request, env, ctx) {
    return withComparedCopy(ctx, request, await bare.fetch(request, env), env.CANDIDATE);
  },
};
