// Validates Kubernetes objects against the API's schemas as packaged by kubernetes-models:
// its validators check types, enums and required fields; they let unknown fields pass,
// which the API server refuses (kubectl's strict field validation), so this also walks the
// typed declarations the package ships and names every field the API does not know.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const MODELS = dirname(require.resolve('kubernetes-models/package.json'));
const APIMACHINERY = dirname(require.resolve('@kubernetes-models/apimachinery/package.json'));

// The module of an apiVersion: "v1" → kubernetes-models/v1, "apps/v1" → …/apps/v1.
function modulePath(apiVersion) {
  return join(MODELS, ...apiVersion.split('/'));
}

const declarations = new Map();

// The fields of the first interface in a .d.ts file, each with its type text and where
// its named types are declared; null for a type without fields (a string, a quantity).
function declaration(file) {
  if (declarations.has(file)) return declarations.get(file);
  const text = readFileSync(file, 'utf8');
  const imports = new Map();
  for (const [, name, from] of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
    const path = from.startsWith('.')
      ? join(dirname(file), from.replace(/\.js$/, '.d.ts'))
      : from.startsWith('@kubernetes-models/apimachinery/')
        ? join(APIMACHINERY, `${from.slice('@kubernetes-models/apimachinery/'.length)}.d.ts`)
        : null;
    if (path) imports.set(name, path);
  }
  const body = /^export interface \w+(?: extends (\w+))? \{\n([\s\S]*?)^\}/m.exec(text);
  let result = null;
  if (body) {
    const fields = new Map();
    if (body[1] === 'TypeMeta') {
      fields.set('apiVersion', 'string');
      fields.set('kind', 'string');
    }
    for (const [, name, type] of body[2].matchAll(/^ {4}"([^"]+)"\??: (.*)$/gm)) fields.set(name, type.replace(/;$/, ''));
    result = { fields, imports };
  }
  declarations.set(file, result);
  return result;
}

// Every path in `value` whose field the declaration in `file` does not have.
function unknownFields(value, file, path, out) {
  const decl = declaration(file);
  if (!decl || value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [key, child] of Object.entries(value)) {
    const where = `${path}.${key}`;
    const type = decl.fields.get(key);
    if (type === undefined) {
      out.push(where);
      continue;
    }
    const named = /^(?:Array<)?(I\w+)>?$/.exec(type);  // a field of an object type, or a list of them
    const childFile = named && decl.imports.get(named[1]);
    if (!childFile) continue;  // a string, a number, a free-form map
    const items = type.startsWith('Array<') && Array.isArray(child) ? child : [child];
    items.forEach((item, i) => unknownFields(item, childFile, items === child ? `${where}[${i}]` : where, out));
  }
  return out;
}

// Throws, naming the object and every problem, unless `object` is valid for its kind.
export async function validateObject(object) {
  const { apiVersion, kind } = object;
  const name = `${kind} ${object.metadata?.name}`;
  let Model;
  try {
    Model = (await import(modulePath(apiVersion) + '/index.js'))[kind];
  } catch {
    Model = undefined;
  }
  if (!Model) throw new Error(`${name}: ${apiVersion} ${kind} is not a Kubernetes kind`);
  // kustomize writes long Secret values as YAML block scalars, with line breaks the API
  // server's base64 decoding skips and this validator's does not.
  const checked = kind === 'Secret' && object.data
    ? { ...object, data: Object.fromEntries(Object.entries(object.data).map(([k, v]) => [k, v.replace(/\s+/g, '')])) }
    : object;
  try {
    new Model(checked).validate();
  } catch (e) {
    throw new Error(`${name}: ${e.message}`);
  }
  const unknown = unknownFields(object, join(modulePath(apiVersion), `${kind}.d.ts`), kind, []);
  if (unknown.length) throw new Error(`${name}: unknown fields ${unknown.join(', ')}`);
}
