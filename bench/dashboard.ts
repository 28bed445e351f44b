/**
 * What the dashboard costs: workerd CPU per page view of the overview (five admin API calls
 * and their DynamoDB reads, rendered to HTML) and of a route's page, beside a proxied request
 * of the same Worker, interleaved rounds; and workerd's RSS before and after the page views.
 * The dashboard is not on the proxy's path: a proxied request pays one prefix check for it.
 *
 *   node bench/dashboard.ts [--rounds 3] [--seconds 5]
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { dashboardCookie, OUT, rssOf, startBenchStack } from "./stack.ts";
import { median, requireWrk, settle, wrk } from "./wrk.ts";
import { numberFlag } from "./args.ts";

const ROUNDS = numberFlag("rounds", 3);
const SECONDS = numberFlag("seconds", 5);

async function main() {
  requireWrk();
  const stack = await startBenchStack();
  try {
    const base = stack.accountingTargets.on;
    const cookie = await dashboardCookie(base);
    const overview = await fetch(`${base}/_cutover/`, { headers: { cookie } });
    if (overview.status !== 200 || !(await overview.text()).includes("<html")) throw new Error(`overview page: ${overview.status}`);

    // A few people watching the dashboard at once, not 32: every page view reads DynamoDB five times.
    const targets: [string, string, string[]][] = [
      ["proxied request (legacy route)", `${base}/bench/legacy/item`, []],
      ["dashboard overview page", `${base}/_cutover/`, [`Cookie: ${cookie}`]],
      ["dashboard route page", `${base}/_cutover/routes/bench-legacy`, [`Cookie: ${cookie}`]],
    ];
    for (const [, url, headers] of targets) await wrk(url, 2, { headers, connections: 4 });
    const rssBeforeMb = rssOf(stack.workerdPid) / 2 ** 20;
    const cpu = new Map(targets.map(([name]) => [name, [] as number[]]));
    const rps = new Map(targets.map(([name]) => [name, [] as number[]]));
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 0 ? [...targets].reverse() : targets;
      for (const [name, url, headers] of order) {
        await settle();
        const load = await wrk(url, SECONDS, { headers, connections: 4, cpuOf: stack.workerdPid });
        if (load.errors > 0) throw new Error(`${name}: ${load.errors} errors or non-2xx answers`);
        const us = load.cpuUsPerRequest;
        cpu.get(name)?.push(us);
        rps.get(name)?.push(load.rps);
        console.log(`round ${round}  ${name.padEnd(32)} ${load.rps.toFixed(0).padStart(6)} /s  ${us.toFixed(1).padStart(8)} µs CPU each`);
      }
    }
    const rssAfterMb = rssOf(stack.workerdPid) / 2 ** 20;
    const result = {
      date: new Date().toISOString(),
      settings: { rounds: ROUNDS, secondsPerRun: SECONDS },
      cpuUsEach: Object.fromEntries([...cpu].map(([name, us]) => [name, { median: Math.round(median(us)), spread: [Math.round(Math.min(...us)), Math.round(Math.max(...us))] }])),
      perSecond: Object.fromEntries([...rps].map(([name, r]) => [name, Math.round(median(r))])),
      workerdRssMb: { before: Math.round(rssBeforeMb), after: Math.round(rssAfterMb) },
    };
    writeFileSync(path.join(OUT, `dashboard-${result.date.replace(/[:.]/g, "-")}.json`), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
