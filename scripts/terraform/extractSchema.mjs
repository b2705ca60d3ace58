#!/usr/bin/env node
// One-time extraction of the google provider's schema from @cdktf/provider-google's .jsii
// file, so that CI can check our .tf files without a terraform binary (there is none on
// these machines) and without a 300 MB dependency.
//
// Usage (re-run only when the pinned provider version changes):
//   mkdir -p /tmp/pg && cd /tmp/pg && npm install --no-save --ignore-scripts @cdktf/provider-google@16.12.1
//   node scripts/terraform/extractSchema.mjs /tmp/pg/node_modules/@cdktf/provider-google
//
// Output: terraform/schema/google.json.gz
//   { provider, version, provider_config: Block, resources: {type: Block}, data_sources: {type: Block} }
//   Block = { attributes: string[] (settable), computed: string[] (read-only), blocks: {name: Block} }
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const pkgDir = process.argv[2] ?? 'node_modules/@cdktf/provider-google';
const out = join(dirname(fileURLToPath(import.meta.url)), '../../terraform/schema/google.json.gz');
const PREFIX = '@cdktf/provider-google.';

const assembly = JSON.parse(readFileSync(join(pkgDir, '.jsii'), 'utf8'));
const types = assembly.types;
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const providerVersion = pkg.cdktf?.provider?.version;

const snake = (camel) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The Terraform name of a config property: the anchor of its registry link, else snake_case. */
function tfName(prop) {
  const m =
    /#([a-z0-9_]+)\}\s*$/.exec(prop.docs?.remarks ?? '') ?? /#([a-z0-9_]+)\}/.exec(prop.docs?.summary ?? '');
  return m ? m[1] : snake(prop.name);
}

/** The provider struct a property type refers to (directly, in a collection, or in a union), if any. */
function structOf(type) {
  if (!type) return undefined;
  if (type.fqn) {
    const t = types[type.fqn];
    return type.fqn.startsWith(PREFIX) && t?.kind === 'interface' && t.datatype ? type.fqn : undefined;
  }
  if (type.collection) return structOf(type.collection.elementtype);
  if (type.union) {
    for (const u of type.union.types) {
      const s = structOf(u);
      if (s) return s;
    }
  }
  return undefined;
}

function ownAndInheritedProps(fqn, seen = new Set()) {
  if (seen.has(fqn)) return [];
  seen.add(fqn);
  const t = types[fqn];
  if (!t) return [];
  const inherited = (t.interfaces ?? [])
    .filter((i) => i.startsWith(PREFIX))
    .flatMap((i) => ownAndInheritedProps(i, seen));
  return [...(t.properties ?? []), ...inherited];
}

/** Read-only attributes: getters on the resource class (or a block's OutputReference) that are not arguments. */
function computedOf(classFqn, settableCamel) {
  const t = types[classFqn];
  if (!t) return [];
  return (t.properties ?? [])
    .filter(
      (p) =>
        !p.static && !p.name.endsWith('Input') && p.name !== 'internalValue' && !settableCamel.has(p.name),
    )
    .map((p) => snake(p.name));
}

function block(configFqn, classFqn, depth = 0) {
  const attributes = [];
  const blocks = {};
  const settableCamel = new Set();
  for (const prop of ownAndInheritedProps(configFqn)) {
    settableCamel.add(prop.name);
    const name = tfName(prop);
    const struct = structOf(prop.type);
    if (struct && depth < 12) blocks[name] = block(struct, `${struct}OutputReference`, depth + 1);
    else attributes.push(name);
  }
  const computed = computedOf(classFqn, settableCamel).filter(
    (c) => !attributes.includes(c) && !(c in blocks),
  );
  return { attributes: attributes.sort(), computed: [...new Set(computed)].sort(), blocks: sortKeys(blocks) };
}

const sortKeys = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

const resources = {};
const dataSources = {};
let providerConfig;
for (const [fqn, t] of Object.entries(types)) {
  if (t.kind !== 'class' || !fqn.startsWith(PREFIX)) continue;
  const configParam = t.initializer?.parameters?.find((p) => p.name === 'config');
  if (!configParam?.type?.fqn) continue;
  if (fqn === `${PREFIX}provider.GoogleProvider`) {
    providerConfig = block(configParam.type.fqn, fqn);
    continue;
  }
  const m = /docs\/(resources|data-sources)\/[a-z0-9_]+ (google_[a-z0-9_]+)\}/.exec(t.docs?.summary ?? '');
  if (!m) continue;
  const target = m[1] === 'resources' ? resources : dataSources;
  target[m[2]] = block(configParam.type.fqn, fqn);
}

if (!providerConfig || Object.keys(resources).length < 500) {
  throw new Error(
    `extraction looks wrong: ${Object.keys(resources).length} resources, provider config ${!!providerConfig}`,
  );
}

const schema = {
  provider: 'registry.terraform.io/hashicorp/google',
  version: providerVersion,
  source: `${pkg.name}@${pkg.version}`,
  provider_config: providerConfig,
  resources: sortKeys(resources),
  data_sources: sortKeys(dataSources),
};
const json = JSON.stringify(schema);
writeFileSync(out, gzipSync(json, { level: 9 }));
console.log(
  `google ${providerVersion}: ${Object.keys(resources).length} resources, ${Object.keys(dataSources).length} data sources, ` +
    `${json.length} bytes JSON → ${out}`,
);
