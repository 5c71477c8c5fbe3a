// What every browser run shares: launching Chromium offline, steps that record whether they
// passed, and the audit of a page state (axe-core WCAG 2.0/2.1/2.2 A and AA at a desktop and a
// phone width, reflow, WCAG 1.4.12 text spacing, buttons in forced colours, a screenshot of each).
//
//   const run = createRun(base, outdir);  await run.go(async (r) => { ... r.audit("label", status) ... });
//
// `go` prints the one JSON report on stdout and exits: 0 when the run reached its end (the pytest
// test judges the report), 1 when it broke off (failure.png and failure.html are saved).

import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
export const AXE = require.resolve("axe-core/axe.min.js");
export const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 320, height: 640 };
// The width the journey itself is driven at (`make bench` times the console's tasks at 390 and 1280 px:
// JOURNEY_VIEWPORT=390x844, and JOURNEY_AUDIT=0 to time the tasks alone, without axe).
const [driveWidth, driveHeight] = (process.env.JOURNEY_VIEWPORT || "1280x800").split("x").map(Number);
export const DRIVE = { width: driveWidth, height: driveHeight };
const AUDITING = process.env.JOURNEY_AUDIT !== "0";
// This machine is offline, and the run must not depend on the network: no component updates,
// field trials, sync or QUIC probes.
const ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

export function createRun(base, outdir) {
  mkdirSync(outdir, { recursive: true });
  const run = {
    base,
    report: { base_url: base, steps: [], pages: [], completed: false, error: null },
    page: null,
    lastResponse: null, // the response that brought the current page, for its headers
  };

  run.step = async (name, body) => {
    const started = Date.now();
    try {
      await body();
      run.report.steps.push({ name, passed: true, ms: Date.now() - started });
    } catch (error) {
      run.report.steps.push({ name, passed: false, ms: Date.now() - started, error: String(error) });
      throw error;
    }
  };

  /** Open a URL as a person does (typing it, or following it from an email). */
  run.open = async (url) => {
    run.lastResponse = await run.page.goto(url, { waitUntil: "load" });
    return run.lastResponse.status();
  };

  /** Click the control named `name` (inside `scope`, if given) and wait for the page it leads to. */
  run.press = async (role, name, scope) => {
    const page = run.page;
    // the response of the page it ends on: redirects (sign-in, post/redirect/get) are followed
    const landed = (r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && !(r.status() >= 300 && r.status() < 400);
    const navigated = page.waitForEvent("response", landed);
    await (scope || page).getByRole(role, { name, exact: true }).click();
    run.lastResponse = await navigated;
    await page.waitForLoadState("load");
    return run.lastResponse.status();
  };

  /** The status of the page a navigation ends on (after redirects). */
  run.status = () => run.lastResponse.status();

  run.heading = async () => (await run.page.locator("h1").innerText()).trim();

  /** WCAG 1.4.12: with wider line, letter, word and paragraph spacing, nothing is cut off and
   *  nothing scrolls sideways. What overflows, as CSS selectors. */
  async function textSpacing() {
    const page = run.page;
    const style = await page.addStyleTag({
      content: "* { line-height: 1.5 !important; letter-spacing: .12em !important; word-spacing: .16em !important; } p { margin-bottom: 2em !important; }",
    });
    const cut = await page.evaluate(() => {
      const root = document.documentElement;
      const found = root.scrollWidth > root.clientWidth ? [`the page scrolls sideways (${root.scrollWidth} px)`] : [];
      for (const el of document.body.querySelectorAll("*")) {
        if (el.closest('[aria-hidden="true"]')) continue;
        // a text box scrolls what is typed in it (nothing is lost): only its label could be cut off
        if (["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName)) continue;
        const { overflowX, overflowY } = getComputedStyle(el);
        const clips = [overflowX, overflowY].some((o) => o === "hidden" || o === "clip");
        if (clips && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)) {
          found.push(el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}.${el.className}`);
        }
      }
      return found;
    });
    await style.evaluate((node) => node.remove());
    return cut;
  }

  /** Audit the page as it stands, at the desktop and then the phone width, and note it. */
  run.audit = async (label, status) => {
    const page = run.page;
    if (!AUDITING) {
      const entry = { label, path: new URL(page.url()).pathname, status, skipped: true };
      run.report.pages.push(entry);
      return entry;
    }
    const csp = (await run.lastResponse.allHeaders())["content-security-policy"] || null;
    const entry = { label, path: new URL(page.url()).pathname, status, title: await page.title(), csp, scripts: 0, violations: [], advisories: [], review: [], reflow: [], text_spacing: [], forced_colors: [], screenshots: [] };
    // The pages promise to need no JavaScript: they must carry none (axe is added after this count).
    entry.scripts = await page.locator("script").count();
    await page.addScriptTag({ path: AXE });
    for (const [width, viewport] of [["desktop", DESKTOP], ["phone", PHONE]]) {
      await page.setViewportSize(viewport);
      const result = await page.evaluate(async (tags) => {
        const found = await window.axe.run(document, { runOnly: { type: "tag", values: [...tags, "best-practice"] }, resultTypes: ["violations"] });
        const wcag = (v) => v.tags.some((t) => tags.includes(t));
        const strip = (list) =>
          list.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
          }));
        const root = document.documentElement;
        return {
          violations: strip(found.violations.filter(wcag)),
          advisories: strip(found.violations.filter((v) => !wcag(v))),
          review: found.incomplete.filter(wcag).map((v) => ({ id: v.id, targets: v.nodes.map((n) => n.target.join(" ")) })),
          scrollWidth: root.scrollWidth,
          clientWidth: root.clientWidth,
        };
      }, TAGS);
      for (const v of result.violations) entry.violations.push({ ...v, width });
      for (const v of result.advisories) entry.advisories.push({ ...v, width });
      for (const v of result.review) entry.review.push({ ...v, width });
      if (result.scrollWidth > result.clientWidth) entry.reflow.push({ width, scrollWidth: result.scrollWidth, clientWidth: result.clientWidth });
      if (width === "phone") entry.text_spacing = await textSpacing();
      const name = `${String(run.report.pages.length + 1).padStart(2, "0")}-${label.replace(/[^a-z0-9]+/gi, "-")}-${width}.png`;
      await page.screenshot({ path: join(outdir, name), fullPage: true });
      entry.screenshots.push(join(outdir, name));
    }
    await page.setViewportSize(DRIVE);
    // In forced colours (Windows high contrast) backgrounds go: a button is only seen by its border.
    await page.emulateMedia({ forcedColors: "active" });
    entry.forced_colors = await page.evaluate(() =>
      [...document.querySelectorAll("button")]
        .filter((b) => ["Top", "Right", "Bottom", "Left"].some((side) => {
          const style = getComputedStyle(b);
          return style[`border${side}Style`] === "none" || parseFloat(style[`border${side}Width`]) < 1;
        }))
        .map((b) => `button "${b.textContent.trim()}" has no border on some side`));
    await page.emulateMedia({ forcedColors: "none" });
    run.report.pages.push(entry);
    return entry;
  };

  /** Launch Chromium, run `body(run)`, print the report and exit. */
  run.go = async (body) => {
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ARGS, timeout: 30_000 });
    let code = 0;
    try {
      // bypassCSP only lets the audit add axe's <script>: the pages' own policy stays as served.
      run.context = await browser.newContext({ bypassCSP: true, viewport: DRIVE, locale: "en-GB" });
      run.context.setDefaultTimeout(30_000); // local mode's first call to each function is a cold start
      run.page = await run.context.newPage();
      run.browser = browser;
      await body(run);
      run.report.completed = true;
    } catch (error) {
      run.report.error = String(error && error.stack ? error.stack : error);
      try {
        if (run.page) await run.page.screenshot({ path: join(outdir, "failure.png"), fullPage: true });
        if (run.page) writeFileSync(join(outdir, "failure.html"), await run.page.content());
      } catch {}
      code = 1;
    } finally {
      await browser.close();
    }
    // exit only once the report is written: on a pipe, process.exit would cut a long one short
    process.stdout.write(JSON.stringify(run.report, null, 2) + "\n", () => process.exit(code));
  };
  return run;
}
