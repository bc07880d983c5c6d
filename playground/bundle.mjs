// Run by build.py: unpack the wheels and the page's bridge module in Pyodide (under node), compile
// them to bytecode with Pyodide's own Python (unchecked-hash .pyc: valid whatever the file times),
// and write one zip that the page unpacks into site-packages. The page then imports archmatch
// without compiling it, which is most of the first scan's time.
//
//   node bundle.mjs WHEEL_DIR BRIDGE.py OUT.zip
import { loadPyodide } from "pyodide";
import fs from "node:fs";
import path from "node:path";

const [wheelDir, bridge, out] = process.argv.slice(2);
const pyodide = await loadPyodide();
const names = JSON.parse(fs.readFileSync(path.join(wheelDir, "index.json"), "utf8"));
for (const name of names) {
  const bytes = new Uint8Array(fs.readFileSync(path.join(wheelDir, name)));
  pyodide.unpackArchive(bytes, "wheel", { filename: name, extractDir: "/bundle" });
}
pyodide.FS.writeFile("/bundle/archmatch_playground.py", fs.readFileSync(bridge, "utf8"));
pyodide.runPython(`
import compileall, os, py_compile, zipfile

import sysconfig

# tracebacks name the files where the page unpacks them
ok = compileall.compile_dir(
    "/bundle", quiet=1, stripdir="/bundle", prependdir=sysconfig.get_path("purelib"),
    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
)
assert ok, "bytecode compilation failed"
with zipfile.ZipFile("/out.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bundle:
    for folder, dirs, files in sorted(os.walk("/bundle")):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(folder, name)
            info = zipfile.ZipInfo(os.path.relpath(full, "/bundle"), date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(full, "rb") as handle:
                bundle.writestr(info, handle.read())
`);
fs.writeFileSync(out, pyodide.FS.readFile("/out.zip"));
console.log(`bundle: wrote ${out} (${fs.statSync(out).size} bytes, ${names.length} wheels)`);
