// floor.js (what a safe proxy must do on every request) plus the comparison of a copy
// (compared-copy.js): against floor.js at an equal rate, what shadowing must cost a proxy of
// that base cost.
import floor from "./floor.js";
import { withComparedCopy } from "./compared-copy.js";

export default {
  async fetch(request, env, ctx) {
    return withComparedCopy(ctx, request, await floor.fetch(request, env), env.CANDIDATE);
  },
};
