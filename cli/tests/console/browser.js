// Drives Debian's chromium (puppeteer-core) through the huntreg console as one principal:
// loads each page, records console errors, failed requests and error responses, runs
// axe-core in light and dark mode, writes a screenshot of each page, and reads what the
// diff, dry-run and ID pages show. Prints one JSON object; the Rust test asserts on it.
//
// Input (JSON, argv[2]): { base, user, password, chromium, screenshots, pages: [{name, path}],
//   diff: path, check: {path, subject, schema}, ids: {query} }
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const puppeteer = require("puppeteer-core");
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

async function main() {
  const input = JSON.parse(process.argv[2]);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "huntreg-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: input.chromium,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
  });
  const out = { pages: {}, diff: null, check: null, ids: null };
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.authenticate({ username: input.user, password: input.password });
    let problems = [];
    page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`failed: ${r.url()} ${r.failure() && r.failure().errorText}`));
    page.on("response", (r) => { if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`); });

    async function axe(scheme) {
      await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: scheme }]);
      await page.evaluate(axeSource);
      const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
      return result.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${scheme} ${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")})`);
    }

    async function visit(name, url, action) {
      problems = [];
      const response = await page.goto(input.base + url, { waitUntil: "networkidle0" });
      let status = response ? response.status() : 0;
      if (action) status = await action();
      const violations = [...(await axe("light")), ...(await axe("dark"))];
      await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "light" }]);
      await page.screenshot({ path: path.join(input.screenshots, `${name}.png`), fullPage: true });
      await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
      await page.screenshot({ path: path.join(input.screenshots, `${name}-dark.png`), fullPage: true });
      await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "light" }]);
      out.pages[name] = { status, problems, violations, text: await page.evaluate(() => document.body.innerText) };
    }

    for (const p of input.pages) await visit(p.name, p.path);

    await visit("diff", input.diff);
    out.diff = await page.evaluate(() => {
      // Each finding note, with the line numbers of the row it follows.
      const notes = [];
      let last = null;
      for (const tr of document.querySelectorAll("table.diff tbody tr")) {
        if (tr.classList.contains("note")) {
          const rule = tr.querySelector(".rule").textContent;
          notes.push({ rule, left: last && last.left, right: last && last.right });
        } else {
          const ln = tr.querySelectorAll("td.ln");
          last = { left: ln[0].textContent.trim(), right: ln[1].textContent.trim() };
        }
      }
      return { title: document.querySelector(".verdict h2").textContent, notes,
               semver: document.querySelector(".verdict strong:last-of-type").textContent };
    });

    await visit("check", input.check.path, async () => {
      await page.$eval("#subject", (el, v) => { el.value = v; }, input.check.subject);
      await page.$eval("#schema", (el, v) => { el.value = v; }, input.check.schema);
      const [response] = await Promise.all([
        page.waitForNavigation({ waitUntil: "networkidle0" }),
        page.click("form.check button[type=submit]"),
      ]);
      return response ? response.status() : 0;
    });
    out.check = await page.evaluate(() => ({
      title: document.querySelector("#result-h").textContent,
      rules: [...document.querySelectorAll(".findings .rule")].map((e) => e.textContent),
      flagged: [...document.querySelectorAll("pre .line.flagged")].map((e) => e.id),
    }));

    await visit("ids", "/ui", async () => {
      // Keyboard only: the ID search in the header takes the hex ID and Enter.
      await page.focus("#q-top");
      await page.keyboard.type(input.ids.query);
      const [response] = await Promise.all([
        page.waitForNavigation({ waitUntil: "networkidle0" }),
        page.keyboard.press("Enter"),
      ]);
      return response ? response.status() : 0;
    });
    out.ids = await page.evaluate(() =>
      [...document.querySelectorAll("main table tbody tr")].map((tr) => tr.innerText.replace(/\s+/g, " ").trim()));
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error(e && e.stack || String(e)); process.exit(1); });
