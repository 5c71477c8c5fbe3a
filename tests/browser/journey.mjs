// A person's journey through every page the members service serves, in headless Chromium, with an
// axe-core audit (WCAG 2.0/2.1/2.2 A and AA) of each page state at a desktop and a phone width.
//
//   node tests/browser/journey.mjs <base_url> <screenshot_dir>
//
// The person only clicks, types and follows the links in the emails local mode's outbox holds
// (GET <base_url>/_local/outbox): no URL is built by hand except a forged link and a missing page.
// Prints one JSON report on stdout: the steps (passed or not), the pages audited with their axe
// violations (and, for information, best-practice advisories and what axe could not decide), and
// the pages that scroll sideways at the phone width (WCAG 1.4.10 reflow, which axe does not check)
// or cut text off with WCAG 1.4.12 text spacing, or whose buttons vanish in forced colours.
// The audit's browser context bypasses the pages' CSP to add axe; a second context keeps it, and
// the journey opens the GET pages and sends the form there too, failing if the CSP refuses anything.
// Exits 0 when it ran to the end, even with violations: the pytest test
// (tests/integration/test_browser.py) judges the report; 1 when the journey broke, 2 on bad usage.
//
// Environment: CHROMIUM (default /usr/bin/chromium), JOURNEY_GROUP (a working group name that
// exists, so the group checkboxes are on the pages; optional).

import { AXE, check, createRun, PHONE, TAGS } from "./audit.mjs";

const [base, outdir] = process.argv.slice(2).map((a, i) => (i === 0 ? a.replace(/\/$/, "") : a));
if (!base || !outdir) {
  process.stderr.write("usage: node tests/browser/journey.mjs <base_url> <screenshot_dir>\n");
  process.exit(2);
}

const run = createRun(base, outdir);
const report = run.report;
const address = `browser-${Date.now().toString(36)}@example.org`;
const { step, open, press, heading, audit } = run;
let page; // the audited tab (run.page), once the browser is up
let strictTab; // a tab whose context enforces the pages' CSP, which the audit's context bypasses
const refused = []; // what the CSP refused in it

// --- helpers of this journey (the shared ones are in audit.mjs) -------------------------------

async function outbox() {
  const reply = await fetch(`${base}/_local/outbox`);
  check(reply.ok, `outbox answered ${reply.status}`);
  return (await reply.json()).filter((email) => (email.to || []).includes(address));
}

/** The link to `path` in the newest email to the person whose subject starts with `subject`. */
async function emailedLink(subject, path) {
  const found = (await outbox()).filter((email) => String(email.subject).startsWith(subject));
  check(found.length > 0, `no email "${subject}…" to ${address}`);
  const text = String(found[found.length - 1].text);
  const escaped = path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const link = text.match(new RegExp(`https?://\\S+${escaped}\\?token=[\\w.=%-]+`));
  check(link, `no ${path} link in "${subject}…": ${text}`);
  return link[0];
}

/** Open a GET page in the tab that keeps the CSP, and check it refused nothing (styles included). */
async function underCsp(url) {
  await strictTab.goto(url, { waitUntil: "load" });
  check(refused.length === 0, `the CSP refused on ${new URL(url).pathname}: ${refused.join(" | ")}`);
}

// --- the journey ------------------------------------------------------------------------------

async function journey() {
  const group = process.env.JOURNEY_GROUP || "";
  let preferencesUrl;
  let confirmUrl;
  let staleTab;

  await step("the audit finds faults where there are some", async () => {
    // A canary: an audit that silently ran no rules would pass every page.
    await page.setContent('<html><head><title>x</title></head><body><img src="data:,"><p style="color:#ccc">faint</p></body></html>');
    await page.addScriptTag({ path: AXE });
    const found = await page.evaluate(async (tags) => (await window.axe.run(document, { runOnly: { type: "tag", values: tags } })).violations.map((v) => v.id), TAGS);
    for (const id of ["html-has-lang", "image-alt", "color-contrast"]) check(found.includes(id), `axe missed ${id}: found ${found}`);
  });

  await step("the sign-up form opens at /", async () => {
    const status = await open(`${base}/`);
    check(status === 200, `/ answered ${status}`);
    check((await heading()) === "Join the partnership", `heading ${await heading()}`);
    if (group) check(await page.getByLabel(group, { exact: true }).count(), `no checkbox for the group ${group}`);
    await audit("sign-up form", status);
    // From the keyboard, the first Tab shows the skip link, and it leads to the main content.
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const box = document.activeElement.getBoundingClientRect();
      return { text: document.activeElement.textContent.trim(), shown: box.width > 0 && box.left >= 0 && box.top >= 0 };
    });
    check(focused.text === "Skip to main content" && focused.shown, `first Tab: ${JSON.stringify(focused)}`);
    await page.keyboard.press("Enter");
    // the jump to #main is a navigation within the page: wait for it (CI once read the URL before it)
    const jumped = await page.waitForFunction(() => location.hash === "#main", null, { timeout: 5000 }).then(() => true, () => false);
    check(jumped, `the skip link led to ${page.url()}`);
  });

  await step("the privacy notice opens from the form", async () => {
    const status = await press("link", "privacy notice");
    check(status === 200 && (await heading()) === "Privacy notice", `privacy page: ${status}`);
    await audit("privacy notice", status);
    await underCsp(page.url());
    run.lastResponse = await page.goBack({ waitUntil: "load" });
  });

  await step("sending the form empty shows what to correct", async () => {
    const status = await press("button", "Join");
    check(status === 400, `empty form answered ${status}`);
    check(await page.getByRole("alert").getByText("There is a problem").count(), "no error summary");
    check((await page.title()).startsWith("Error:"), `title ${await page.title()}`);
    await audit("sign-up form with errors", status);
    // Without script, the summary takes the focus (autofocus), and the next Tab is its first link.
    const focused = () => page.evaluate(() => `${document.activeElement.tagName}.${document.activeElement.className}`);
    check((await focused()) === "DIV.error-summary", `focus after sending is on ${await focused()}`);
    await page.keyboard.press("Tab");
    check((await page.evaluate(() => document.activeElement.getAttribute("href"))) === "#name", "Tab from the summary skips its links");
    // Each message in the summary leads to its field.
    const first = page.getByRole("alert").getByRole("link").first();
    const target = (await first.getAttribute("href")).slice(1);
    check(await page.locator(`[id="${target}"]`).count(), `the summary links to #${target}, which is not on the page`);
  });

  await step("filling it in and sending it asks to check email", async () => {
    await page.getByLabel("Your name").fill("Ann Browser");
    await page.getByLabel("Email address").fill(address);
    await page.getByLabel("Phone number (optional)").fill("07700 900123");
    await page.getByRole("radio").first().check();
    if (group) await page.getByLabel(group, { exact: true }).check();
    await page.getByLabel(/you can keep my details and email me/).check();
    await page.getByLabel(/keep a note that I am a patient or a carer/).check();
    const status = await press("button", "Join");
    check(status === 202 && (await heading()) === "Check your email", `sign-up answered ${status}: ${await heading()}`);
    await audit("check your email (sign-up)", status);
  });

  await step("the link in the confirmation email only shows a button", async () => {
    confirmUrl = await emailedLink("Confirm your email address", "/members/confirm");
    const status = await open(confirmUrl);
    check(status === 200 && (await heading()) === "Confirm that you want to join", `confirm link answered ${status}: ${await heading()}`);
    await audit("confirm?", status);
    await underCsp(confirmUrl);
    // Opening it (as a mail scanner does, and twice here) confirms nobody: no welcome yet.
    const welcomed = (await outbox()).filter((email) => String(email.subject).startsWith("Welcome"));
    check(welcomed.length === 0, "opening the confirmation link sent a welcome");
  });

  await step("pressing the button makes them a member", async () => {
    const status = await press("button", "Yes, confirm");
    check(status === 200 && (await page.content()).includes("now a member"), `confirm answered ${status}`);
    await audit("confirmed", status);
  });

  await step("the confirmation link a second time says so", async () => {
    const status = await open(confirmUrl);
    check(status < 500, `second confirm answered ${status}`);
    await audit(status === 200 ? "already confirmed" : "used confirmation link", status);
  });

  await step("the welcome email's link opens the preferences", async () => {
    preferencesUrl = await emailedLink("Welcome", "/members/preferences");
    const status = await open(preferencesUrl);
    check(status === 200 && (await heading()) === "Your preferences", `preferences answered ${status}`);
    check(await page.getByLabel("Reminders before meetings").isChecked(), "reminders are not ticked");
    await audit("preferences", status);
    await underCsp(preferencesUrl);
    // A second tab left open on this page, to send after unsubscribing.
    staleTab = await page.context().newPage();
    await staleTab.goto(preferencesUrl, { waitUntil: "load" });
  });

  await step("changing the preferences saves them", async () => {
    await page.getByLabel("Reminders before meetings").uncheck();
    await page.getByLabel("Newsletters and news of what we have done").check();
    if (group) await page.getByLabel(new RegExp(`^${group}`)).uncheck();
    const status = await press("button", "Save my preferences");
    check(status === 200 && (await page.getByRole("status").innerText()).includes("Your preferences are saved"), `save answered ${status}`);
    check(await page.getByLabel("Newsletters and news of what we have done").isChecked(), "newsletters not saved");
    check(!(await page.getByLabel("Reminders before meetings").isChecked()), "reminders still on");
    await audit("preferences saved", status);
  });

  await step("asking for a copy of their data emails a download link", async () => {
    const status = await press("button", "Email me a copy of my data");
    check(status === 202 && (await heading()) === "Check your email", `export request answered ${status}`);
    await audit("check your email (data request)", status);
    const link = await emailedLink("Your copy of what", "/members/export");
    const ready = await open(link);
    check(ready === 200 && (await heading()) === "See a copy of your data", `export link answered ${ready}`);
    await audit("see a copy of your data", ready);
    await underCsp(link);
    const shown = await press("button", "Show my data");
    check(shown === 200 && (await heading()) === "The information we hold about you", `export page answered ${shown}`);
    check(!(await page.content()).includes("lookup_id"), "the export page shows internal field names");
    await audit("the information we hold about you", shown);
    const download = await page.context().request.post(link, { form: { action: "download" } });
    check(download.status() === 200 && download.headers()["content-type"].startsWith("application/json"), `export answered ${download.status()}`);
    check((await download.json()).about_you.email_address === address, "the export is not theirs");
    const again = await page.context().request.post(link, { form: { action: "download" } });
    check(again.status() === 400, `a used export link answered ${again.status()}`);
  });

  await step("withdrawing health-data consent has its own form", async () => {
    await open(preferencesUrl);
    if ((await page.getByRole("button", { name: "Withdraw my agreement" }).count()) === 0) return;
    const status = await press("button", "Withdraw my agreement");
    check(status === 200 && (await page.getByRole("status").innerText()).includes("We no longer list you as a patient or carer"), `withdrawal answered ${status}`);
    await audit("health consent withdrawn", status);
  });

  await step("asking to delete their details emails a link to a confirmation page", async () => {
    await open(preferencesUrl);
    const asked = await press("button", "Delete my details");
    check(asked === 202, `erase request answered ${asked}`);
    const emails = await outbox();
    const subject = String(emails[emails.length - 1].subject);
    const link = await emailedLink(subject, "/members/erase");
    const status = await open(link);
    check(status === 200 && (await heading()) === "Delete your details?", `erase page answered ${status}`);
    await audit("delete your details?", status);
    await underCsp(link);
    report.eraseUrl = link;
  });

  await step("the unsubscribe page's button stops all emails", async () => {
    await open(preferencesUrl);
    const shown = await press("link", "Unsubscribe from everything");
    check(shown === 200 && (await heading()).startsWith("Stop all emails"), `unsubscribe page answered ${shown}`);
    await audit("unsubscribe?", shown);
    await underCsp(page.url());
    const status = await press("button", "Unsubscribe");
    check(status === 200 && (await heading()) === "You have unsubscribed", `unsubscribe answered ${status}`);
    check((await page.getByRole("button", { name: "Remove my details now" }).count()) === 1, "no way to remove the details now");
    await audit("unsubscribed", status);
  });

  await step("the preferences page then offers no choices", async () => {
    const status = await open(preferencesUrl);
    check(status === 200 && (await page.content()).includes("because you unsubscribed"), `preferences answered ${status}`);
    check((await page.getByRole("button", { name: "Save my preferences" }).count()) === 0, "still offers to save");
    await audit("preferences after unsubscribing", status);
    await underCsp(preferencesUrl);
  });

  await step("saving from a tab left open before unsubscribing changes nothing", async () => {
    const previous = page;
    page = run.page = staleTab;
    try {
      const status = await press("button", "Save my preferences");
      check(status === 409 && (await heading()) === "Nothing was changed", `stale save answered ${status}`);
      await audit("nothing was changed", status);
    } finally {
      await staleTab.close();
      page = run.page = previous;
    }
  });

  await step("the delete button deletes their details", async () => {
    const shown = await open(report.eraseUrl);
    check(shown === 200, `erase page answered ${shown}`);
    const status = await press("button", "Yes, delete my details");
    check(status === 200 && (await heading()) === "Your details have been deleted", `erase answered ${status}`);
    await audit("details deleted", status);
    delete report.eraseUrl;
  });

  await step("an old link after deletion explains what to do", async () => {
    const status = await open(preferencesUrl);
    check(status === 400 && (await heading()) === "This link has expired", `old link answered ${status}: ${await heading()}`);
    await audit("link expired", status);
  });

  await step("a forged link explains what to do", async () => {
    const status = await open(`${base}/members/confirm?token=x.y`);
    check(status === 400 && (await heading()) === "This link does not work", `forged link answered ${status}`);
    await audit("link does not work", status);
    await underCsp(page.url());
    const onward = await press("link", "Go to the sign-up form");
    check(onward === 200 && (await heading()) === "Join the partnership", "the way on does not lead to the form");
  });

  await step("with the pages' CSP enforced, the sign-up form still sends", async () => {
    await underCsp(`${base}/`);
    const sent = strictTab.waitForEvent("response", (r) => r.request().isNavigationRequest() && r.request().method() === "POST");
    await strictTab.getByRole("button", { name: "Join", exact: true }).click();
    const status = (await sent).status();
    await strictTab.waitForLoadState("load");
    check(status === 400 && (await strictTab.getByRole("alert").count()) === 1, `the form under its CSP answered ${status}`);
    check(refused.length === 0, `the CSP refused: ${refused.join(" | ")}`);
  });

  await step("a missing page says so", async () => {
    const status = await open(`${base}/site/no-such-page`);
    check(status === 404, `missing page answered ${status}`);
    await audit("page not found", status);
  });
}

// --- run --------------------------------------------------------------------------------------

await run.go(async (r) => {
  page = r.page;
  const strict = await r.browser.newContext({ viewport: PHONE, locale: "en-GB" });
  strict.setDefaultTimeout(30_000);
  strictTab = await strict.newPage();
  strictTab.on("console", (m) => /Content[- ]Security[- ]Policy|Refused to/i.test(m.text()) && refused.push(m.text()));
  await journey();
});
