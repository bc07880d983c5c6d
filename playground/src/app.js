// archmatch playground: the archmatch package runs in Pyodide, on files kept in this page.
// Every URL below is relative to the page: nothing is fetched from any other host.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const COMMAND_FILE = "command.sh";
const DEFAULT_PRESET = "sam-lambda-arm64";
const MAX_DROPPED_FILE = 1_000_000;
const MAX_DROPPED_FILES = 2000;
const SKIPPED_FOLDERS = new Set([".git", "node_modules", ".terraform", ".venv", "__pycache__", ".aws-sam", ".serverless"]);
const TARGETS = [
  "lambda:arm64", "lambda:x86_64", "ecs:arm64", "ecs:x86_64", "eks:arm64", "eks:amd64",
  "batch:arm64", "batch:x86_64", "ec2:arm64", "ec2:x86_64", "apprunner:x86_64",
];

const $ = (id) => document.getElementById(id);
const state = { files: {}, open: ["", ""], result: null, selected: 0, scans: 0 };
const timings = (window.playgroundTimings = {});
let bridge = null;
let presets = {};
let scanTimer = null;

// ---------- small DOM helpers (text only: values from files are never parsed as HTML) ----------
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}
function setStatus(text) { $("status").textContent = text; }
function sortedPaths() { return Object.keys(state.files).sort(); }

// ---------- editor: a textarea over a backdrop of highlighted lines, with a gutter ----------
function createEditor(pane, index) {
  const select = el("select", { "aria-label": `File in editor ${index ? "B" : "A"}` });
  const gutter = el("div", { class: "gutter", "aria-hidden": "true" });
  const backdrop = el("pre", { class: "backdrop", "aria-hidden": "true" });
  const area = el("textarea", { spellcheck: "false", wrap: "off", "aria-label": `Editor ${index ? "B" : "A"}` });
  pane.append(select, el("div", { class: "editor" }, gutter, el("div", { class: "code" }, backdrop, area)));
  area.addEventListener("scroll", () => {
    gutter.scrollTop = area.scrollTop;
    backdrop.style.transform = `translate(${-area.scrollLeft}px, ${-area.scrollTop}px)`;
  });
  area.addEventListener("input", () => {
    const path = state.open[index];
    if (!path) return;
    state.files[path] = area.value;
    if (path === COMMAND_FILE) $("command").value = area.value;
    renderEditors();
    scheduleScan();
  });
  select.addEventListener("change", () => openFile(index, select.value));
  return { select, gutter, backdrop, area, pane };
}
const editors = [createEditor($("pane-a"), 0), createEditor($("pane-b"), 1)];

function lineMarks(path) {
  // line -> classes: every finding's primary line and related lines, the selected finding's outlined
  const marks = new Map();
  const add = (line, cls) => { if (line > 0) marks.set(line, `${marks.get(line) || ""} ${cls}`.trim()); };
  (state.result?.findings || []).forEach((finding, i) => {
    const selected = i === state.selected ? " hl-selected" : "";
    if (finding.location.path === path) add(finding.location.line, "hl-primary" + selected);
    for (const rel of finding.related || []) {
      if (rel.location.path === path) add(rel.location.line, "hl-related" + selected);
    }
  });
  return marks;
}

function renderEditor(editor, path) {
  editor.select.replaceChildren(...sortedPaths().map((p) => el("option", { value: p }, p)));
  editor.select.value = path;
  const text = state.files[path] ?? "";
  if (editor.area.value !== text) editor.area.value = text;
  editor.area.disabled = !path;
  editor.pane.dataset.path = path;
  const marks = lineMarks(path);
  const count = text.split("\n").length;
  const gutterLines = [];
  const backLines = [];
  for (let line = 1; line <= count; line++) {
    const cls = marks.get(line) || "";
    gutterLines.push(el("div", { class: cls, "data-line": String(line) }, String(line)));
    backLines.push(el("div", { class: cls }, " "));
  }
  editor.gutter.replaceChildren(...gutterLines);
  editor.backdrop.replaceChildren(...backLines);
}

function renderEditors() {
  editors.forEach((editor, i) => renderEditor(editor, state.open[i]));
  renderTree();
}

function openFile(index, path, line = 0) {
  state.open[index] = path;
  renderEditors();
  if (line > 0) {
    const area = editors[index].area;
    area.scrollTop = Math.max(0, (line - 4) * parseFloat(getComputedStyle(area).lineHeight));
    area.dispatchEvent(new Event("scroll"));
  }
}

// ---------- file tree ----------
function renderTree() {
  const counts = {};
  for (const f of state.result?.findings || []) counts[f.location.path] = (counts[f.location.path] || 0) + 1;
  $("tree").replaceChildren(...sortedPaths().map((path) => {
    const cls = path === state.open[0] ? "open-a" : path === state.open[1] ? "open-b" : "";
    const item = el("li", { class: cls, "data-path": path, title: "Open on the left (shift: on the right)" }, path);
    if (counts[path]) item.append(el("span", { class: "count" }, String(counts[path])));
    item.addEventListener("click", (event) => openFile(event.shiftKey ? 1 : 0, path));
    return item;
  }));
}

function setFiles(files, command = null) {
  state.files = { ...files };
  if (command !== null) {
    if (command.trim()) state.files[COMMAND_FILE] = command;
    else delete state.files[COMMAND_FILE];
  }
  $("command").value = state.files[COMMAND_FILE] || "";
  const paths = sortedPaths();
  state.open = [paths[0] || "", paths[1] || paths[0] || ""];
  state.result = null;
  state.selected = 0;
  renderEditors();
  scheduleScan(0);
}

function askPath(message, initial) {
  const answer = window.prompt(message, initial);
  if (!answer) return null;
  const clean = answer.replace(/\\/g, "/").split("/").filter((p) => p && p !== ".").join("/");
  if (!clean || clean.split("/").includes("..")) { setStatus(`not a path inside the tree: ${answer}`); return null; }
  return clean;
}

$("new-file").addEventListener("click", () => {
  const path = askPath("New file (a path such as .github/workflows/build.yml):", "Dockerfile");
  if (!path) return;
  if (!(path in state.files)) state.files[path] = "";
  openFile(0, path);
  scheduleScan();
});
$("rename-file").addEventListener("click", () => {
  const old = state.open[0];
  const path = old && askPath(`Rename ${old} to:`, old);
  if (!path || path === old) return;
  state.files[path] = state.files[old];
  delete state.files[old];
  state.open = state.open.map((p) => (p === old ? path : p));
  renderEditors();
  scheduleScan();
});
$("delete-file").addEventListener("click", () => {
  const old = state.open[0];
  if (!old || !window.confirm(`Delete ${old}?`)) return;
  delete state.files[old];
  const paths = sortedPaths();
  state.open = state.open.map((p) => (p === old ? paths[0] || "" : p));
  if (old === COMMAND_FILE) $("command").value = "";
  renderEditors();
  scheduleScan();
});

// ---------- drag and drop, file pickers ----------
async function readTextFile(file) {
  if (file.size > MAX_DROPPED_FILE) return null;
  const text = await file.text();
  return text.slice(0, 8192).includes("\u0000") ? null : text;
}

function entryFiles(entry, prefix, out) {
  // every file under a dropped FileSystemEntry, as [relative path, File]
  if (entry.isFile) return new Promise((resolve) => entry.file((f) => { out.push([prefix + entry.name, f]); resolve(); }, resolve));
  if (!entry.isDirectory || SKIPPED_FOLDERS.has(entry.name)) return Promise.resolve();
  const reader = entry.createReader();
  return new Promise((resolve) => {
    const batch = () => reader.readEntries(async (entries) => {
      if (!entries.length) return resolve();
      await Promise.all(entries.map((e) => entryFiles(e, `${prefix}${entry.name}/`, out)));
      batch();
    }, resolve);
    batch();
  });
}

async function addFiles(pairs, replace) {
  let skipped = 0;
  const files = replace ? {} : { ...state.files };
  for (const [path, file] of pairs.slice(0, MAX_DROPPED_FILES)) {
    const text = await readTextFile(file);
    if (text === null) skipped++;
    else files[path] = text;
  }
  skipped += Math.max(0, pairs.length - MAX_DROPPED_FILES);
  setFiles(files);
  setStatus(`read ${pairs.length - skipped} files${skipped ? `; left out ${skipped} (binary, over 1 MB, or over ${MAX_DROPPED_FILES} files)` : ""}`);
}

function withoutTopFolder(pairs) {
  const tops = new Set(pairs.map(([p]) => p.split("/")[0]));
  const single = tops.size === 1 && pairs.every(([p]) => p.includes("/"));
  return single ? pairs.map(([p, f]) => [p.slice(p.indexOf("/") + 1), f]) : pairs;
}

const drop = $("drop");
for (const target of [drop, document.body]) {
  target.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
}
document.body.addEventListener("dragleave", () => drop.classList.remove("over"));
document.body.addEventListener("drop", async (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  const entries = [...event.dataTransfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
  const pairs = [];
  await Promise.all(entries.map((e) => entryFiles(e, "", pairs)));
  const folder = entries.length === 1 && entries[0].isDirectory;
  await addFiles(withoutTopFolder(pairs), folder);
});
$("pick-files").addEventListener("change", (e) => addFiles([...e.target.files].map((f) => [f.name, f]), false));
$("pick-folder").addEventListener("change", (e) => {
  const pairs = [...e.target.files].map((f) => [f.webkitRelativePath || f.name, f])
    .filter(([p]) => !p.split("/").some((part) => SKIPPED_FOLDERS.has(part)));
  addFiles(withoutTopFolder(pairs), true);
});

// ---------- scanning and results ----------
function scheduleScan(delay = 400) {
  clearTimeout(scanTimer);
  scanTimer = setTimeout(runScan, delay);
}

function runScan() {
  if (!bridge) return;
  document.body.dataset.state = "scanning";
  const started = performance.now();
  let result;
  try {
    result = JSON.parse(bridge.scan_json(JSON.stringify(state.files)));
  } catch (error) {  // a bug of the page or the engine: say so, keep the page usable
    const last = String(error.message || error).trim().split("\n").pop();
    result = { error: `the scan failed: ${last}`, exit_code: 2, findings: [] };
    console.error(error);
  }
  state.result = result;
  state.selected = Math.min(state.selected, Math.max(0, (result.findings || []).length - 1));
  state.scans += 1;
  timings.lastScanMs = Math.round(performance.now() - started);
  if (timings.firstScanMs === undefined) timings.firstScanMs = timings.lastScanMs;
  renderResults();
  selectFinding(state.selected, false);
  updateFixedCommand();
  document.body.dataset.scans = String(state.scans);
  document.body.dataset.state = "ready";
}

function renderResults() {
  const result = state.result;
  const box = $("tab-findings");
  $("download-sarif").disabled = $("download-json").disabled = !result?.sarif;
  if (result.error) {
    box.replaceChildren(el("p", { class: "finding error" }, `archmatch: ${result.error} (exit 2)`));
    setStatus(`configuration error; exit code 2`);
    return;
  }
  const findings = result.findings || [];
  const cards = findings.map((finding, i) => findingCard(finding, i));
  const summary = el("p", { class: findings.length ? "" : "clean", id: "summary" },
    findings.length ? `${findings.length} finding${findings.length > 1 ? "s" : ""}; ` : "No findings; ",
    `exit code ${result.exit_code} (as archmatch scan); ${result.summary.files_scanned} files scanned in ${result.seconds.toFixed(2)} s.`);
  const diags = (result.diagnostics || []).map((d) =>
    el("p", { class: "small diagnostic" }, `${d.level || "note"} ${d.code || ""} ${d.location?.path || ""}:${d.location?.line || 0} ${d.message}`));
  const unread = (result.unread || []).map((text) => el("p", { class: "unread" }, `not read here: ${text}`));
  box.replaceChildren(...unread, summary, ...cards, ...diags);
  $("report").textContent = result.text;
  const mermaid = /```mermaid\n([\s\S]*?)```/.exec(result.markdown || "");
  $("graph").textContent = mermaid ? mermaid[1] : "(no image build is linked to a workload)";
  setStatus(`scan ${timings.lastScanMs} ms in the page` + (timings.readyMs ? `; page ready in ${(timings.readyMs / 1000).toFixed(1)} s` : ""));
}

function locationButton(location, index, text) {
  return el("button", {
    type: "button", class: "loc",
    onclick: (event) => { event.stopPropagation(); openFile(index, location.path, location.line); },
  }, text || `${location.path}:${location.line}`);
}

function diffBlock(diff) {
  return el("pre", { class: "diff" }, ...diff.split("\n").map((line) =>
    el("div", { class: line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "" }, line)));
}

function findingCard(finding, i) {
  const card = el("div", { class: `finding ${finding.severity}`, "data-rule": finding.rule, "data-index": String(i) });
  card.append(el("div", { class: "head" },
    el("span", { class: "sev" }, finding.severity), ` ${finding.rule} `, locationButton(finding.location, 0)));
  card.append(el("div", { class: "msg" }, finding.message));
  for (const rel of finding.related || []) {
    card.append(el("div", { class: "related" }, locationButton(rel.location, 1), ` ${rel.message}`));
  }
  for (const fix of finding.fixes || []) {
    const box = el("div", { class: "fix" }, el("div", {}, `fix: ${fix.description}`));
    if (fix.diff) box.append(diffBlock(fix.diff));
    if (fix.changes && fix.changes.length) {
      box.append(el("button", { type: "button", class: "apply", onclick: (e) => { e.stopPropagation(); applyFix(fix); } }, "Apply"));
    }
    card.append(box);
  }
  card.addEventListener("click", () => selectFinding(i, true));
  return card;
}

function selectFinding(i, focus) {
  const findings = state.result?.findings || [];
  state.selected = i;
  document.querySelectorAll(".finding").forEach((c) => c.classList.toggle("selected", Number(c.dataset.index) === i));
  const finding = findings[i];
  if (!finding) { renderEditors(); return; }
  // both ends: the finding's own location on the left, its first related location on the right
  const other = (finding.related || []).find((r) => r.location.path !== finding.location.path) || finding.related?.[0];
  if (state.files[finding.location.path] !== undefined) openFile(0, finding.location.path, finding.location.line);
  if (other && state.files[other.location.path] !== undefined) openFile(1, other.location.path, other.location.line);
  renderEditors();
  if (focus) editors[0].area.focus({ preventScroll: true });
}

function applyFix(fix) {
  const out = JSON.parse(bridge.apply_json(JSON.stringify(state.files), JSON.stringify(fix.changes)));
  if (out.error) { setStatus(`the fix could not be applied: ${out.error}`); return; }
  state.files = out.files;
  $("command").value = state.files[COMMAND_FILE] || "";
  runScan();
}

// ---------- build command ----------
function workloadTarget(workload) {
  const kind = workload.kind.toLowerCase();
  const arch = workload.arch === "arm64" ? "arm64" : workload.arch === "amd64" ? "x86_64" : "";
  const service = /lambda|serverless::function|sls:function/.test(kind) ? "lambda"
    : /ecs/.test(kind) ? "ecs" : /k8s|eks|kubernetes/.test(kind) ? "eks"
    : /batch/.test(kind) ? "batch" : /apprunner|app_runner/.test(kind) ? "apprunner" : "";
  return service && arch ? `${service}:${arch}` : "";
}

function renderTargets() {
  const select = $("target");
  const current = select.value;
  const fromTree = [];
  for (const w of state.result?.workloads || []) {
    const target = workloadTarget(w);
    if (target) fromTree.push(el("option", { value: target }, `${w.name} (${target})`));
  }
  const groups = [];
  if (fromTree.length) groups.push(el("optgroup", { label: "Workloads in these files" }, ...fromTree));
  groups.push(el("optgroup", { label: "Any service" }, ...TARGETS.map((t) => el("option", { value: t }, t))));
  select.replaceChildren(...groups);
  if ([...select.options].some((o) => o.value === current)) select.value = current;
}

function updateFixedCommand() {
  renderTargets();
  const command = $("command").value.trim();
  const out = $("fixed-command");
  if (!command) { out.textContent = ""; return; }
  const res = JSON.parse(bridge.fix_command_json(command, $("target").value));
  out.textContent = res.exit_code === 0 ? res.stdout.trim() : res.stderr.trim();
  out.dataset.exitCode = String(res.exit_code);
}

$("command").addEventListener("input", () => {
  const command = $("command").value;
  if (command.trim()) state.files[COMMAND_FILE] = command;
  else delete state.files[COMMAND_FILE];
  renderEditors();
  scheduleScan();
});
$("target").addEventListener("change", () => updateFixedCommand());

// ---------- tabs and downloads ----------
document.querySelectorAll("[role=tab]").forEach((tab) => tab.addEventListener("click", () => {
  document.querySelectorAll("[role=tab]").forEach((t) => t.setAttribute("aria-selected", String(t === tab)));
  document.querySelectorAll(".tab").forEach((panel) => { panel.hidden = panel.id !== `tab-${tab.dataset.tab}`; });
}));

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
$("download-sarif").addEventListener("click", () => download("archmatch.sarif", state.result.sarif, "application/sarif+json"));
$("download-json").addEventListener("click", () => download("archmatch.json", state.result.json, "application/json"));

// ---------- shareable link: the inputs, deflated, in the URL fragment ----------
function toBase64Url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function fromBase64Url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
async function pipeBytes(bytes, transform) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(transform)).arrayBuffer());
}
async function encodeShare() {
  const payload = JSON.stringify({ v: 1, files: state.files, target: $("target").value });
  return toBase64Url(await pipeBytes(new TextEncoder().encode(payload), new CompressionStream("deflate-raw")));
}
async function decodeShare(text) {
  const bytes = await pipeBytes(fromBase64Url(text), new DecompressionStream("deflate-raw"));
  const payload = JSON.parse(new TextDecoder().decode(bytes));
  if (payload.v !== 1 || typeof payload.files !== "object" || payload.files === null) throw new Error("unknown link format");
  if (payload.target !== undefined && typeof payload.target !== "string") throw new Error("bad target in link");
  for (const [path, text] of Object.entries(payload.files)) {
    if (typeof path !== "string" || typeof text !== "string") throw new Error("bad file in link");
  }
  return payload;
}
$("share").addEventListener("click", async () => {
  const url = `${location.origin}${location.pathname}#s=${await encodeShare()}`;
  history.replaceState(null, "", url);
  const box = $("share-url");
  box.hidden = false;
  box.value = url;
  box.select();
  try { await navigator.clipboard.writeText(url); setStatus(`link copied (${url.length} characters)`); }
  catch { setStatus(`link ready below (${url.length} characters): copy it`); }
});

// ---------- start ----------
async function fetchOk(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response;
}

async function startPython() {
  const started = performance.now();
  // archmatch, its dependencies and the bridge module, with their bytecode (built by bundle.mjs)
  const sitePackages = fetchOk("site-packages.zip").then((r) => r.arrayBuffer());
  const pyodide = await loadPyodide({ indexURL: new URL("./pyodide/", location.href).href });
  timings.pyodideMs = Math.round(performance.now() - started);
  const purelib = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
  pyodide.unpackArchive(await sitePackages, "zip", { extractDir: purelib });
  pyodide.runPython("import importlib; importlib.invalidate_caches()");
  bridge = pyodide.pyimport("archmatch_playground");
  timings.pythonMs = Math.round(performance.now() - started);
}

async function initialInputs() {
  const hash = location.hash.slice(1);
  const params = new URLSearchParams(hash);
  if (params.get("s")) {
    try {
      const payload = await decodeShare(params.get("s"));
      return { files: payload.files, target: payload.target, preset: "" };
    } catch (error) {
      setStatus(`could not read the shared link (${error.message}); showing the example instead`);
    }
  }
  const preset = presets[params.get("preset")] ? params.get("preset") : DEFAULT_PRESET;
  return { files: presets[preset] || {}, target: "", preset };
}

async function main() {
  const started = performance.now();
  const presetsLoaded = fetchOk("presets.json").then((r) => r.json());
  const python = startPython();
  presets = await presetsLoaded;
  $("preset").replaceChildren(el("option", { value: "" }, "(your files)"),
    ...Object.keys(presets).map((name) => el("option", { value: name }, name)));
  const inputs = await initialInputs();
  $("preset").value = inputs.preset;
  $("preset").addEventListener("change", () => { if ($("preset").value) setFiles(presets[$("preset").value], ""); });
  renderTargets();
  if (inputs.target) {
    if (![...$("target").options].some((o) => o.value === inputs.target)) $("target").append(el("option", { value: inputs.target }, inputs.target));
    $("target").value = inputs.target;
  }
  setFiles(inputs.files);
  setStatus("Loading Python (Pyodide) and archmatch…");
  await python;
  clearTimeout(scanTimer);
  runScan();
  timings.readyMs = Math.round(performance.now() - started);
  if (inputs.target) { $("target").value = inputs.target; updateFixedCommand(); }
  renderResults();
}

main().catch((error) => {
  document.body.dataset.state = "failed";
  setStatus(`the playground could not start: ${error.message || error}`);
  console.error(error);
});
