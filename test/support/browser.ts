import chromium from "@sparticuz/chromium";
// --no-sandbox: the tests run as root in CI, where Chromium's sandbox cannot start.
import { chromium as playwright, type Browser } from "playwright-core";

/**
 * A real headless Chromium for page tests: the build that ships inside the
 * `@sparticuz/chromium` npm package (with the libraries it needs), so that `npm install`
 * brings it to a fresh machine. No browser means a failing test, never a skipped one.
 */
export async function launchBrowser(): Promise<Browser> {
  // Not the package's own flags: those are for a Lambda (one process, web security off), and
  // the tests need a browser that enforces the same-origin rules a user's does.
  return playwright.launch({ executablePath: await chromium.executablePath(), args: ["--no-sandbox", "--no-zygote", "--use-gl=angle", "--use-angle=swiftshader"], headless: true });
}
