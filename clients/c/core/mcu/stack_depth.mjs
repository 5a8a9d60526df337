// The deepest stack any entry point of the core can reach, from gcc's call graphs
// (-fcallgraph-info=su): each function's own frame plus the deepest of its callees.
// Functions outside the core (memcpy, libgcc's helpers) get an allowance each.
//   node stack_depth.mjs <allowance-bytes> file.ci...
// Prints "<bytes> <deepest path>" and fails on a cycle (the core does not recurse).
import { readFileSync } from 'node:fs';

const [allowanceArg, ...files] = process.argv.slice(2);
const allowance = Number(allowanceArg);
const frame = new Map(); // title -> bytes of its own frame, or null when outside the core
const calls = new Map(); // title -> set of titles it calls
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/node: \{ title: "([^"]+)" label: "([^"]*)"/g)) {
    const bytes = /\\n(\d+) bytes \((static|dynamic[^)]*)\)/.exec(m[2]);
    if (bytes && bytes[2] !== 'static') throw new Error(`${m[1]}: a frame of dynamic size`);
    if (bytes || !frame.has(m[1])) frame.set(m[1], bytes ? Number(bytes[1]) : null);
  }
  for (const m of text.matchAll(/edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"/g)) {
    if (!calls.has(m[1])) calls.set(m[1], new Set());
    calls.get(m[1]).add(m[2]);
  }
}
const deepest = new Map();
const visiting = new Set();
function depth(title) {
  if (deepest.has(title)) return deepest.get(title);
  if (visiting.has(title)) throw new Error(`recursion through ${title}`);
  visiting.add(title);
  const own = frame.get(title) ?? allowance;
  let best = { bytes: own, path: [title] };
  for (const callee of calls.get(title) ?? []) {
    const d = depth(callee);
    if (own + d.bytes > best.bytes) best = { bytes: own + d.bytes, path: [title, ...d.path] };
  }
  visiting.delete(title);
  deepest.set(title, best);
  return best;
}
let worst = { bytes: 0, path: [] };
for (const title of frame.keys()) {
  const d = depth(title);
  if (d.bytes > worst.bytes) worst = d;
}
const name = (t) => t.replace(/^.*:/, '');
console.log(`${worst.bytes} ${worst.path.map(name).join(' > ')}`);
