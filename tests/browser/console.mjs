// The administrators' console in headless Chromium, over local mode: sign in through the redirect
// to the local stand-in for Cognito's managed login, find a member who has just signed up, open
// their page, try a POST without its CSRF token, use every screen, erase the member and sign out.
// Every console page state is audited (axe-core, reflow, text spacing, forced colours) at a desktop
// and a phone width, with a screenshot of each (tests/browser/audit.mjs).
//
//   node tests/browser/console.mjs <base_url> <screenshot_dir>
//
// Environment: CHROMIUM (default /usr/bin/chromium), NOTICE_VERSION (the privacy notice version
// the sign-up form shows).

import { check, createRun } from "./audit.mjs";

const [base, outdir] = process.argv.slice(2).map((a, i) => (i === 0 ? a.replace(/\/$/, "") : a));
if (!base || !outdir) {
  process.stderr.write("usage: node tests/browser/console.mjs <base_url> <screenshot_dir>\n");
  process.exit(2);
}
const stamp = Date.now().toString(36);
const address = `console-journey-${stamp}@partnership-example.org`;
const name = `Console Person ${stamp}`;

const run = createRun(base, outdir);
await run.go(async (r) => {
  const { step, open, press, heading, audit } = r;
  const page = () => r.page;
  let memberPath;

  await step("a person signs up and confirms", async () => {
    const signup = await fetch(`${base}/members`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, email: address, role: "observer", consent_contact: true, privacy_notice_version: process.env.NOTICE_VERSION }),
    });
    check(signup.status === 202, `sign-up answered ${signup.status}`);
    const emails = (await (await fetch(`${base}/_local/outbox`)).json()).filter((e) => (e.to || []).includes(address));
    const link = String(emails[emails.length - 1].text).match(/https?:\/\/\S+\/members\/confirm\?token=[\w.=%-]+/);
    check(link, "no confirmation link");
    // the link opens a page whose button posts the token back; a GET alone confirms nobody
    const token = new URL(link[0]).searchParams.get("token");
    const confirmed = await fetch(`${base}/members/confirm`, { method: "POST", body: new URLSearchParams({ token }) });
    check(confirmed.status === 200, `confirming answered ${confirmed.status}`);
  });

  await step("the console sends an administrator to sign in", async () => {
    const status = await open(`${base}/console/`);
    check(new URL(page().url()).pathname === "/_local/cognito/oauth2/authorize", `ended on ${page().url()}`);
    check(status === 200 && (await heading()) === "Sign in to the console", `sign-in page: ${status}`);
    await audit("sign in (local stand-in)", status);
  });

  await step("signing in with the form's defaults ends on the console home", async () => {
    const status = await press("button", "Sign in");
    check(new URL(page().url()).pathname === "/console/", `signed in to ${page().url()}`);
    check(status === 200 && (await heading()) === "Home", `home: ${status} ${await heading()}`);
    await audit("console home", status);
  });

  await step("finding the member by name", async () => {
    await press("link", "Members", page().getByRole("navigation"));
    await audit("members", r.status());
    await page().getByLabel("Name or email address").fill(name);
    const status = await press("button", "Search");
    check(status === 200 && (await page().getByRole("link", { name, exact: true }).count()) === 1, "the member is not listed");
    await audit("members search", status);
  });

  await step("opening their page", async () => {
    const status = await press("link", name);
    memberPath = new URL(page().url()).pathname;
    check(status === 200 && (await heading()) === name && memberPath.startsWith("/console/members/"), `member page ${memberPath}`);
    await audit("member", status);
  });

  await step("a POST without its CSRF token is refused", async () => {
    const refused = await r.context.request.post(`${base}${memberPath}/erase`, { form: { confirm: "yes" }, maxRedirects: 0 });
    check(refused.status() === 403, `a POST without the token answered ${refused.status()}`);
    const still = await r.context.request.get(`${base}${memberPath}`);
    check(still.status() === 200, "the member went without a CSRF token");
  });

  await step("the edit form", async () => {
    const status = await press("link", "Change details");
    check(status === 200, `edit: ${status}`);
    await audit("change details", status);
    await page().getByLabel("Phone number").fill("not a number");
    const refused = await press("button", "Save the changes");
    check(refused === 400 && (await page().getByRole("alert").count()) === 1, `bad phone answered ${refused}`);
    await audit("change details with errors", refused);
    await page().getByLabel("Phone number").fill("01908 654321");
    const saved = await press("button", "Save the changes");
    check(saved === 200 && (await page().getByRole("status").innerText()).includes("saved"), `save: ${saved}`);
    await audit("member after saving", saved);
  });

  await step("changing their email address", async () => {
    const status = await press("link", "Change their email address");
    check(status === 200, `email form: ${status}`);
    await audit("change email", status);
    await page().getByLabel("New email address").fill("not an address");
    const refused = await press("button", "Send the link");
    check(refused === 400 && (await page().getByRole("alert").count()) === 1, `a bad address answered ${refused}`);
    await audit("change email with errors", refused);
    await page().getByLabel("New email address").fill(`new-${stamp}@example.org`);
    const sent = await press("button", "Send the link");
    check(sent === 200 && (await page().getByRole("status").innerText()).includes("We emailed a link"), `change email: ${sent}`);
  });

  await step("acting on their behalf: what they hear about", async () => {
    await open(`${base}${memberPath}/on-behalf/choices`);
    await audit("on their behalf", r.status());
    const refused = await press("button", "Save their choices");
    check(refused === 400 && (await page().getByRole("alert").count()) === 1, `no 'how' answered ${refused}`);
    await audit("on their behalf with errors", refused);
    await page().getByLabel("By phone").check();
    const saved = await press("button", "Save their choices");
    check(saved === 200 && (await heading()) === name, `choices: ${saved}`);
  });

  await step("their private calendar feed", async () => {
    await open(`${base}${memberPath}`);
    const status = await press("link", "Their private calendar feed");
    check(status === 200 && (await heading()) === "Private calendar feed", `feed: ${status}`);
    check((await page().getByText("They have no private calendar feed.").count()) === 1, "a feed no one made");
    await audit("private calendar feed", status);
  });

  await step("adding a member met in person", async () => {
    await open(`${base}/console/members/new`);
    await audit("add a member", r.status());
    const refused = await press("button", "Add the member");
    check(refused === 400, `an empty form answered ${refused}`);
    await audit("add a member with errors", refused);
    await page().getByLabel("Full name").fill(`Offline ${stamp}`);
    await page().getByLabel("Phone number (optional)").fill("01908 111222");
    await page().getByLabel("Observer", { exact: true }).check();
    await page().getByLabel(/They agreed that we may contact them/).check();
    const added = await press("button", "Add the member");
    check(added === 200 && (await heading()) === `Offline ${stamp}`, `added: ${added}`);
  });

  await step("importing members from a spreadsheet", async () => {
    await open(`${base}/console/members/import`);
    await audit("import members", r.status());
    // a partnership starting out: 25 people, one of them named for this run
    const others = Array.from({ length: 24 }, (_, n) => `Reader ${String.fromCharCode(65 + n)}${String.fromCharCode(97 + n)}son,01908 3${String(n).padStart(5, "0")},"${n + 2} Mill Lane\nOlney",observer,2026-03-14,in person\r\n`);
    const csv = `Name,Phone,Address,Role,Agreed on,How\r\nImported ${stamp},01908 333444,"1 Mill Lane\nOlney",observer,2026-03-14,paper\r\n${others.join("")}`;
    await page().getByLabel("The spreadsheet (CSV)").setInputFiles({ name: "members.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    const checked = await press("button", "Check the file");
    check(checked === 200 && (await page().getByRole("status").innerText()).includes("25 to add"), `check: ${checked}`);
    await audit("import members: checked", checked);
    const loaded = await press("button", "Add 25 people");
    check(loaded === 200 && (await page().getByRole("status").innerText()).includes("25 added"), `load: ${loaded}`);
    await audit("import members: loaded", loaded);
  });

  await step("the list of members without email", async () => {
    await press("link", "Phone or post", page().getByRole("navigation"));
    check((await page().getByRole("link", { name: `Offline ${stamp}` }).count()) === 1, "not on the offline list");
    await audit("members without email", r.status());
    check(await page().getByRole("button", { name: "Print this page" }).isVisible(), "no Print button on the list");
    const labels = await press("link", "Print address labels");
    check(labels === 200 && (await page().locator(".label:not(.blank)").count()) >= 1, `labels: ${labels}`);
    check(await page().getByRole("button", { name: "Print this page" }).isVisible(), "no Print button on the labels");
    await audit("address labels", labels);
  });

  await step("working groups", async () => {
    await press("link", "Working groups", page().getByRole("navigation"));
    await audit("working groups", r.status());
    await page().getByLabel("Name", { exact: true }).fill(`Group ${stamp}`);
    await page().getByLabel("What the group is for").fill("Reads leaflets before they are printed.");
    const created = await press("button", "Create the group");
    check(created === 200 && (await heading()) === `Group ${stamp}`, `created: ${created}`);
    await page().getByLabel("Their name or email address").fill(`${stamp}`);
    const which = await press("button", "Add to the group");
    check(which === 200 && (await page().getByRole("status").innerText()).includes("Which one do you mean?"), `which one: ${which}`);
    await audit("add to a group: which one?", which);
    const picked = await press("button", `Add Offline ${stamp}`);
    check(picked === 200 && (await page().getByRole("link", { name: `Offline ${stamp}` }).count()) === 1, `picked: ${picked}`);
    await page().getByLabel("Their name or email address").fill(address);
    const added = await press("button", "Add to the group");
    check(added === 200 && (await page().getByRole("link", { name }).count()) === 1, `added to group: ${added}`);
    const lead = await press("button", `Make ${name} the lead`);
    check(lead === 200, `lead: ${lead}`);
    await audit("working group", lead);
    await press("link", `Close Group ${stamp}`);
    check((await heading()) === `Close Group ${stamp}?`, `close: ${await heading()}`);
    await audit("close a group?", r.status());
    const closed = await press("button", "Close the group");
    check(closed === 200, `closed: ${closed}`);
    await audit("a closed group", closed);
    const reopened = await press("button", `Open Group ${stamp} again`);
    check(reopened === 200 && (await page().getByRole("link", { name: `Close Group ${stamp}` }).count()) === 1, `reopened: ${reopened}`);
  });

  await step("the audit trail", async () => {
    await press("link", "Audit trail", page().getByRole("navigation"));
    check((await page().getByRole("cell", { name: "Opened the record" }).count()) > 0, "the views are not in the audit trail");
    await audit("audit trail", r.status());
  });

  await step("administrators: invite one, with errors first, then remove them", async () => {
    await press("link", "Administrators", page().getByRole("navigation"));
    check((await heading()) === "Administrators", `administrators: ${await heading()}`);
    await audit("administrators", r.status());
    await press("link", "Invite an administrator");
    const refused = await press("button", "Send the invitation");
    check(refused === 400, `an empty invitation answered ${refused}`);
    await audit("invite an administrator with errors", refused);
    const invitee = `Invited ${stamp}`;
    await page().getByLabel("Their name").fill(invitee);
    await page().getByLabel("Their email address").fill(`invited-${stamp}@example.org`);
    const sent = await press("button", "Send the invitation");
    check(sent === 200 && (await page().getByRole("cell", { name: invitee, exact: true }).count()) === 1, `invited: ${sent}`);
    await audit("administrator invited", sent);
    await press("link", `Remove ${invitee}`);
    check((await heading()) === "Remove this administrator?", `remove: ${await heading()}`);
    await audit("remove an administrator?", r.status());
    const removed = await press("button", "Remove them");
    check(removed === 200 && (await page().getByRole("cell", { name: invitee, exact: true }).count()) === 0, `removed: ${removed}`);
  });

  await step("help: the list of help pages and one of them", async () => {
    await press("link", "Help", page().getByRole("navigation"));
    check((await heading()) === "Help", `help: ${await heading()}`);
    await audit("help", r.status());
    const topic = await press("link", "Importing and downloading the list");
    check(topic === 200 && (await page().getByRole("table").count()) === 1, `help page: ${topic}`);
    await audit("help: a topic", topic);
  });

  await step("meetings: a new meeting, its emails, the minutes and letters", async () => {
    await press("link", "Meetings", page().getByRole("navigation"));
    await audit("meetings", r.status());
    await press("link", "New meeting");
    await audit("new meeting", r.status());
    const refused = await press("button", "Create the meeting");
    check(refused === 400 && (await page().getByRole("alert").count()) === 1, `an empty meeting answered ${refused}`);
    await audit("new meeting with errors", refused);
    const day = new Date(Date.now() + 13 * 86400000).toISOString().slice(0, 10);
    await page().getByLabel("Title").fill(`Plenary ${stamp}`);
    await page().getByLabel("Date and start time (UK time)").fill(`${day}T12:30`);
    await page().getByLabel("Length in minutes").fill("90");
    await page().getByLabel("Building or room").fill("Education Centre");
    await page().getByLabel("Address").fill("Standing Way\nEaglestone\nMK6 5LD");
    const created = await press("button", "Create the meeting");
    check(created === 200 && (await heading()) === `Plenary ${stamp}`, `meeting: ${created}`);
    await audit("meeting", created);
    await press("link", "The reminder");
    await audit("reminder preview", r.status());
    await page().goBack();
    await press("link", "Attendance for the minutes");
    await audit("attendance", r.status());
    await page().goBack();
    await press("link", /^Letters/);
    await audit("letters", r.status());
    await page().goBack();
    await press("link", "Cancel it");
    await audit("cancel a meeting?", r.status());
  });

  await step("announcements: write, preview", async () => {
    await press("link", "Announcements", page().getByRole("navigation"));
    await audit("announcements", r.status());
    await page().getByLabel("Subject").fill(`News ${stamp}`);
    await page().getByLabel("What it says").fill("Our new leaflet is ready.\n\nCome and see it.");
    const previewed = await press("button", "Preview it");
    check(previewed === 200 && (await page().getByText("Check it before it goes").count()) === 1, `preview: ${previewed}`);
    await audit("announcement preview", previewed);
  });

  await step("erasing the member", async () => {
    await open(`${base}${memberPath}`);
    const status = await press("link", "Erase this member");
    check(status === 200 && (await heading()) === `Erase ${name}?`, `erase page: ${status}`);
    await audit("erase a member?", status);
    const erased = await press("button", `Erase ${name}`);
    check(erased === 200 && (await heading()) === "The member was erased", `erased: ${erased}`);
    await audit("member erased", erased);
    const gone = await r.context.request.get(`${base}${memberPath}`);
    check(gone.status() === 404, `the erased member's page answered ${gone.status()}`);
  });

  await step("the directory: add an entry, with its errors first", async () => {
    await press("link", "Directory", page().getByRole("navigation"));
    await audit("directory", r.status());
    await open(`${base}/console/directory/services/new`);
    await audit("directory: add an entry", r.status());
    await page().getByLabel("Name", { exact: true }).fill(`Browser Group ${stamp}`);
    await page().getByLabel("What it offers").fill("A friendly group that meets every month.");
    await page().getByLabel("Support groups").check();
    await page().getByLabel("Someone to talk to").check();
    await page().getByLabel("Organisation's name").fill(`Browser Trust ${stamp}`);
    await page().getByLabel("What the organisation is").fill("A local charity.");
    await page().locator("#contacts\\.0\\.phone").fill("01908 123123");
    await page().locator("#locations\\.0\\.address").fill("Standing Way");
    await page().locator("#locations\\.0\\.postcode").fill("not a postcode");
    await page().locator("#schedules\\.0\\.byday").fill("2TU");
    await page().locator("#schedules\\.0\\.opens_at").fill("10:00");
    await page().locator("#schedules\\.0\\.closes_at").fill("12:00");
    const refused = await press("button", "Add the entry");
    check(refused === 400 && (await page().getByRole("alert").count()) === 1, `a bad postcode answered ${refused}`);
    await audit("directory: an entry with errors", refused);
    await page().locator("#locations\\.0\\.postcode").fill("MK6 5LD");
    const added = await press("button", "Add the entry");
    check(added === 200 && (await heading()) === `Browser Group ${stamp}`, `added: ${added}`);
    await audit("directory: an entry", added);
    const log = await press("link", "Change log");
    check(log === 200, `change log: ${log}`);
    await audit("directory: change log", log);
  });

  await step("the directory: import, publish, versions, review and reports", async () => {
    await open(`${base}/console/directory/import`);
    await audit("directory: import", r.status());
    await open(`${base}/console/directory/publish`);
    await audit("directory: publish", r.status());
    const published = await press("button", "Publish the directory");
    check(published === 200 && (await heading()) === "Published versions", `published: ${published}`);
    await audit("directory: versions", published);
    await open(`${base}/console/directory/review`);
    await audit("directory: entries to check", r.status());
    await open(`${base}/console/directory/reports`);
    await audit("directory: reports", r.status());
  });

  await step("the published directory, as visitors read it", async () => {
    const status = await open(`${base}/site/directory/`);
    check(status === 200 && (await heading()) === "Local Cancer Resources Directory", `index: ${status}`);
    await audit("site: the directory", status);
    const entry = await press("link", `Browser Group ${stamp}`);
    check(entry === 200 && (await heading()) === `Browser Group ${stamp}`, `entry: ${entry}`);
    await audit("site: an entry", entry);
    const report = await press("link", "Is something wrong with this entry?");
    check(report === 200, `report form: ${report}`);
    await audit("site: report form", report);
    const refused = await press("button", "Send");
    check(refused === 400, `an empty report answered ${refused}`);
    await audit("site: report form with errors", refused);
    await page().getByLabel("Some details are out of date").check();
    const sent = await press("button", "Send");
    check(sent === 202 && (await heading()) === "Thank you", `report: ${sent}`);
    await audit("site: report sent", sent);
    await open(`${base}/site/directory/need/someone-to-talk-to.html`);
    await audit("site: by need", r.status());
    await open(`${base}/site/directory/my-list.html`);
    await audit("site: my list", r.status());
    await page().getByLabel(new RegExp(`^Browser Group ${stamp}`)).first().check();
    const sheet = await press("button", "Make the sheet");
    check(sheet === 200 && (await heading()) === "Services for you", `sheet: ${sheet}`);
    await audit("site: my list sheet", sheet);
    await open(`${base}/site/directory/print.html`);
    await audit("site: print edition", r.status());
  });

  await step("the print edition in print mode: A4, nothing cut off", async () => {
    // A4 less the @page margins (16 mm each side) at 96 px to the inch
    await page().setViewportSize({ width: Math.floor(((210 - 32) / 25.4) * 96), height: 1000 });
    await page().emulateMedia({ media: "print" });
    const clipped = await page().evaluate(() =>
      [...document.querySelectorAll("main *")]
        .filter((el) => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible")
        .map((el) => el.tagName)
        .concat(document.documentElement.scrollWidth > document.documentElement.clientWidth + 1 ? ["the page"] : []),
    );
    check(clipped.length === 0, `text cut off in print: ${clipped.join(", ")}`);
    const breaks = await page().evaluate(() =>
      [...document.querySelectorAll("section.category")].every((s) => getComputedStyle(s).breakBefore === "page"),
    );
    check(breaks, "each category must start a new page in print");
    const pdf = await page().pdf({ format: "A4", preferCSSPageSize: true });
    const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;
    check(pages >= 2, `the print edition printed ${pages} A4 pages`);
    await page().emulateMedia({ media: "screen" });
    await page().setViewportSize({ width: 1280, height: 800 });
    await open(`${base}/console/directory`);  // back to the console, to sign out
  });

  await step("feedback: a carer sends a concern from the form, with its errors first", async () => {
    const status = await open(`${base}/feedback`);
    check(status === 200 && (await heading()) === "Tell us about your care", `feedback form: ${status}`);
    await audit("feedback: form", status);
    const refused = await press("button", "Send");
    check(refused === 400 && (await page().getByRole("alert").count()) === 1, `an empty form answered ${refused}`);
    await audit("feedback: form with errors", refused);
    await page().getByLabel("A concern").check();
    await page().getByLabel("What is it about?").selectOption("Chemotherapy day unit");
    await page().getByLabel("Waiting and appointments").check();
    await page().getByLabel("Tell us what happened").fill(`Browser ${stamp}: we waited four hours and nobody said why.`);
    await page().getByLabel("A carer").check();
    const sent = await press("button", "Send");
    check(sent === 202 && (await heading()) === "Thank you: we have your feedback", `feedback sent: ${sent}`);
    await audit("feedback: sent", sent);
    const shown = await press("link", "See what is happening with your feedback");
    check(shown === 200 && (await heading()).startsWith("Your feedback: FB-"), `status page: ${shown}`);
    await audit("feedback: status", shown);
    const broken = await open(`${base}/feedback/follow-up?token=not-a-real-token`);
    check(broken === 400 && (await heading()) === "This link does not work", `a bad follow-up link: ${broken}`);
    await audit("feedback: a follow-up link that does not work", broken);
  });

  await step("feedback: the console's queue, an item, a change, the preview and on-behalf entry", async () => {
    await open(`${base}/console/feedback`);
    check((await heading()) === "Feedback", `queue: ${await heading()}`);
    await audit("feedback: queue", r.status());
    const opened = await press("link", /^FB-/);
    check(opened === 200 && (await heading()).startsWith("Feedback FB-"), `item: ${opened}`);
    await audit("feedback: item", opened);
    await page().getByLabel("Status").selectOption("change_made");
    const changed = await press("button", "Save the status and working group");
    check(changed === 200 && (await page().getByRole("status").count()) === 1, `change: ${changed}`);
    await audit("feedback: item after a change", changed);
    await open(`${base}/console/feedback/you-said-we-did`);
    await audit("feedback: you said, we did preview", r.status());
    await open(`${base}/console/feedback/new`);
    await audit("feedback: on someone's behalf", r.status());
    const refused = await press("button", "Enter the feedback");
    check(refused === 400, `an empty on-behalf form answered ${refused}`);
    await audit("feedback: on someone's behalf with errors", refused);
  });

  await step("you said, we did, as visitors read it", async () => {
    const ran = await fetch(`${base}/_local/schedules/you-said-we-did-publish/run`, { method: "POST" });
    check(ran.ok, `publishing answered ${ran.status}`);
    const status = await open(`${base}/site/you-said-we-did/`);
    check(status === 200 && (await heading()) === "You said, we did", `you said, we did: ${status}`);
    await audit("site: you said, we did", status);
    await open(`${base}/console/feedback`);  // back to the console, to sign out
  });

  await step("signing out", async () => {
    const status = await press("button", "Sign out");
    check(new URL(page().url()).pathname === "/console/signed-out" && status === 200, `signed out to ${page().url()}`);
    await audit("signed out", status);
    const again = await r.context.request.get(`${base}/console/`, { maxRedirects: 0 });
    check([302, 303].includes(again.status()), `after signing out /console/ answered ${again.status()}`);
  });
});
