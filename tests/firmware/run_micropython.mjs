// Runs the board firmware and its fakes on the real MicroPython interpreter (WebAssembly).
// Usage: node tests/firmware/run_micropython.mjs   (prints PASS/FAIL lines from mp_checks.py)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const firmware = path.join(here, "..", "..", "firmware");
const fakes = path.join(here, "fakes");
const entry = path.join(here, "node_modules", "@micropython", "micropython-webassembly-pyscript", "micropython.mjs");

if (!existsSync(entry)) {
  console.error("MicroPython is not installed: run `npm ci --prefix tests/firmware`");
  process.exit(2);
}
const { loadMicroPython } = await import(pathToFileURL(entry).href);
// A small heap, to notice if the firmware's RAM use gets out of hand (an ESP8266 has ~40 KB free).
const mp = await loadMicroPython({
  heapsize: 512 * 1024,
  linebuffer: true,
  stdout: (line) => process.stdout.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});

mp.FS.mkdir("/fw");
mp.FS.mkdir("/data");  // stands in for the board's flash filesystem
const put = (dir, name, as = name) => mp.FS.writeFile("/fw/" + as, readFileSync(path.join(dir, name), "utf8"));
for (const name of readdirSync(firmware)) {
  if (name === "config.example.py") put(firmware, name, "config.py");
  else if (name.endsWith(".py") && name !== "config.py") put(firmware, name);
}
for (const name of readdirSync(fakes)) if (name.endsWith(".py")) put(fakes, name);
put(here, "mp_checks.py");

try {
  mp.runPython([
    "import sys, gc",
    "sys.path.insert(0, '/fw')",
    "gc.collect()",
    "before = gc.mem_alloc()",
    "import main, station, wifi, uplink, backlog, wallclock, watchdog, led, mcp9808",
    "gc.collect()",
    "print('INFO the firmware (compiled from source) takes %d bytes of heap' % (gc.mem_alloc() - before))",
    "import mp_checks",
    "mp_checks.run()",
  ].join("\n"));
} catch (err) {
  console.error(String(err));
  process.exit(1);
}
