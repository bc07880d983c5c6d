// Load time of the playground with the flagship example, cold and warm, N times (median printed).
// Cold: a new browser context (empty cache). Warm: a reload in that context.
//
//   python playground/serve.py 8000 &
//   node playground/tests/measure.mjs http://127.0.0.1:8000/ 5
import { chromium } from "playwright-core";

const [base, runs = "3"] = process.argv.slice(2);
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"];

async function timedLoad(page, action) {
  const started = Date.now();
  await action();
  await page.waitForFunction(() => document.body.dataset.state === "ready" && Number(document.body.dataset.scans) > 0,
    null, { timeout: 180_000 });
  return { ms: Date.now() - started, ...(await page.evaluate(() => window.playgroundTimings)) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: FLAGS });
const cold = [];
const warm = [];
try {
  for (let i = 0; i < Number(runs); i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    cold.push(await timedLoad(page, () => page.goto(`${base}#preset=sam-lambda-arm64`)));
    warm.push(await timedLoad(page, () => page.reload()));
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ cold, warm }, null, 1));
console.log(`cold median ${median(cold.map((c) => c.ms))} ms, warm median ${median(warm.map((w) => w.ms))} ms over ${runs} runs`);
