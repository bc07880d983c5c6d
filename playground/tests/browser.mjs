// Drives the built playground in the system Chromium (headless) and prints what it saw as JSON.
// tests/test_playground_browser.py serves playground/dist, runs this script and asserts on the
// observations; it does not judge anything itself.
//
//   node playground/tests/browser.mjs http://127.0.0.1:PORT/ OUT_DIR [FOLDER_TO_OPEN]
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

const [base, outDir, folder] = process.argv.slice(2);
const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync",
  // no name resolves except the local server: a request to any other host fails instead of leaving
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];
const TIMEOUT = 180_000;
const obs = { requests: [], failedRequests: [], websockets: [], errors: [], console: [] };

async function ready(page, scansAbove = 0) {
  await page.waitForFunction(
    (n) => ["ready", "failed"].includes(document.body.dataset.state) && (document.body.dataset.state === "failed" || Number(document.body.dataset.scans || 0) > n),
    scansAbove, { timeout: TIMEOUT });
  return page.evaluate(() => ({ state: document.body.dataset.state, scans: Number(document.body.dataset.scans || 0), status: document.getElementById("status").textContent }));
}

function view(page) {
  return page.evaluate(() => {
    const pane = (id) => {
      const node = document.getElementById(id);
      return {
        path: node.dataset.path,
        text: node.querySelector("textarea").value,
        primary: [...node.querySelectorAll(".gutter .hl-primary")].map((d) => Number(d.dataset.line)),
        related: [...node.querySelectorAll(".gutter .hl-related")].map((d) => Number(d.dataset.line)),
      };
    };
    return {
      findings: [...document.querySelectorAll(".finding[data-rule]")].map((c) => ({
        rule: c.dataset.rule, message: c.querySelector(".msg").textContent,
        fixes: [...c.querySelectorAll(".fix")].map((f) => ({ text: f.textContent, apply: !!f.querySelector(".apply") })),
      })),
      summary: document.getElementById("summary")?.textContent || "",
      paneA: pane("pane-a"),
      paneB: pane("pane-b"),
      graph: document.getElementById("graph").textContent,
      report: document.getElementById("report").textContent,
      tree: [...document.querySelectorAll("#tree li")].map((li) => li.dataset.path),
      fixedCommand: document.getElementById("fixed-command").textContent,
      timings: window.playgroundTimings,
    };
  });
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: FLAGS, headless: true });
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 960 }, acceptDownloads: true });
  context.on("request", (r) => obs.requests.push(r.url()));
  context.on("response", (r) => { if (r.status() >= 400) obs.failedRequests.push(`${r.status()} ${r.url()}`); });
  context.on("requestfailed", (r) => obs.failedRequests.push(`failed ${r.url()}`));
  const page = await context.newPage();
  page.on("websocket", (ws) => obs.websockets.push(ws.url()));
  page.on("pageerror", (e) => obs.errors.push(String(e)));
  page.on("console", (m) => { if (["error", "warning"].includes(m.type())) obs.console.push(m.text()); });

  // 1. cold load of the flagship example (a fresh browser profile: nothing cached)
  let started = Date.now();
  await page.goto(`${base}#preset=sam-lambda-arm64`);
  obs.loaded = await ready(page);
  obs.coldMs = Date.now() - started;
  obs.flagship = await view(page);
  await page.screenshot({ path: path.join(outDir, "playground.png") });

  // 2. the SARIF download
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-sarif")]);
  obs.sarif = JSON.parse(fs.readFileSync(await download.path(), "utf8"));

  // 3. apply the first fix: the page edits the file and scans again
  let scans = obs.loaded.scans;
  await page.click(".finding .apply");
  await ready(page, scans);
  obs.afterApply = await view(page);

  // 4. a build command: scanned as command.sh, and rewritten for the chosen target
  scans = (await ready(page)).scans;
  await page.fill("#command", "docker buildx build --platform linux/amd64,linux/arm64 --build-arg NPM_TOKEN=s3cr3t-value -t fn ./fn");
  await ready(page, scans);
  await page.selectOption("#target", "lambda:arm64");
  obs.withCommand = await view(page);

  // 5. the shareable link opens the same inputs in a new page
  await page.click("#share");
  // the click handler is async (it deflates the inputs): wait for the link it writes
  await page.waitForFunction(() => document.getElementById("share-url").value.includes("#s="), null,
    { timeout: 60_000 });
  obs.shareUrl = await page.inputValue("#share-url");
  const second = await context.newPage();
  second.on("pageerror", (e) => obs.errors.push(String(e)));
  await second.goto(obs.shareUrl);
  await ready(second);
  obs.shared = await view(second);
  obs.sharedCommand = await second.inputValue("#command");
  await second.close();

  // 6. a folder opened with the folder picker (the code path of a dropped folder) replaces the tree
  if (folder) {
    scans = (await ready(page)).scans;
    await page.setInputFiles("#pick-folder", folder);
    await ready(page, scans);
    obs.folder = await view(page);
  }

  // 7. warm load: the same browser reloads the page (its HTTP cache holds Pyodide and the wheels)
  await page.evaluate(() => { location.hash = "#preset=sam-lambda-arm64"; });
  started = Date.now();
  await page.reload();
  await ready(page);
  obs.warmMs = Date.now() - started;
  obs.warmTimings = await page.evaluate(() => window.playgroundTimings);
} catch (error) {
  obs.failure = String(error.stack || error);
} finally {
  await browser.close();
  fs.writeFileSync(path.join(outDir, "observations.json"), JSON.stringify(obs, null, 1));
}
console.log(JSON.stringify({ coldMs: obs.coldMs, warmMs: obs.warmMs, requests: obs.requests.length }));
