#!/usr/bin/env node
// `npm run build`: one deployable artifact per function, for terraform/platform.
//
//   dist/functions/<name>/index.js (+ chunk-*.js)  ESM bundle of what <name> imports
//   dist/functions/<name>/package.json              "type": "module", externals only
//   dist/functions/<name>.zip                       what google_storage_bucket_object uploads
//
// functions/index.ts registers every function (ff.http(name, …)). Each bundle is built from
// it with the *other* registrations removed, so esbuild leaves their code out, and with
// `ff.http` shimmed to register only the target, so a missed removal cannot register a
// second function. Builders that index.ts imports lazily from shared/wiring.js become a
// re-export of that one builder, so the other functions' builders (and the Google clients
// they import) are tree-shaken away. Code splitting keeps lazily imported adapters in
// chunks that load on first request, not at process start.
//
// External (installed by Cloud Build from package.json, not bundled):
//   @google-cloud/functions-framework  the platform's invoker must share its registry
//   @google-cloud/tasks                reads its JSON protos from disk at run time
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist/functions');
const INDEX = join(ROOT, 'functions/index.ts');
const FUNCTIONS = ['api', 'scheduler', 'dispatcher', 'monitor'];
const EXTERNALS = ['@google-cloud/functions-framework', '@google-cloud/tasks'];
const FF = '@google-cloud/functions-framework';

// ESM output bundling CommonJS packages: give them require/__filename/__dirname.
const BANNER = [
  "import { createRequire as __pushrunCreateRequire } from 'node:module';",
  "import { fileURLToPath as __pushrunFileURLToPath } from 'node:url';",
  "import { dirname as __pushrunDirname } from 'node:path';",
  'const require = __pushrunCreateRequire(import.meta.url);',
  'const __filename = __pushrunFileURLToPath(import.meta.url);',
  'const __dirname = __pushrunDirname(__filename);',
].join('\n');

/** Index just past the `)` that closes the `(` at `open`, skipping strings, templates and comments. */
function matchingParen(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') i = text.indexOf('\n', i) - 1;
    else if (c === '/' && text[i + 1] === '*') i = text.indexOf('*/', i) + 1;
    else if (c === '"' || c === "'" || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  throw new Error('unbalanced parentheses in functions/index.ts');
}

/** The `ff.http('name', …);` registrations of functions/index.ts, with their source spans. */
function registrations(text) {
  const found = [];
  for (const m of text.matchAll(/\bff\.http\(\s*(['"])([\w-]+)\1/g)) {
    const start = m.index;
    let end = matchingParen(text, start + m[0].indexOf('('));
    if (text[end] === ';') end++;
    found.push({ name: m[2], start, end, source: text.slice(start, end) });
  }
  return found;
}

/** functions/index.ts with every registration but `target`'s removed. */
function indexFor(target, text) {
  let out = text;
  for (const r of registrations(text).reverse()) {
    if (r.name === target) {
      // (await import('../shared/wiring.js')).buildX(  →  a module re-exporting buildX alone
      if (!builderOf(target, text)) continue;
      const kept = r.source.replace(
        /import\((['"])\.\.\/shared\/wiring\.js\1\)/g,
        `import('pushrun-wiring:${target}')`,
      );
      out = out.slice(0, r.start) + kept + out.slice(r.end);
    } else out = out.slice(0, r.start) + out.slice(r.end);
  }
  return out;
}

function builderOf(target, text) {
  const r = registrations(text).find((x) => x.name === target);
  return r && /import\((['"])\.\.\/shared\/wiring\.js\1\)\)\.(\w+)\(/.exec(r.source)?.[2];
}

function onlyTarget(target, text) {
  return {
    name: 'pushrun-only-target',
    setup(b) {
      b.onLoad({ filter: /[\\/]functions[\\/]index\.ts$/ }, () => ({
        contents: indexFor(target, text),
        loader: 'ts',
        resolveDir: dirname(INDEX),
      }));
      // index.ts's `import * as ff from '@google-cloud/functions-framework'`: register the target only.
      b.onResolve({ filter: /^@google-cloud\/functions-framework$/ }, (args) =>
        args.importer === INDEX ? { path: 'shim', namespace: 'pushrun-ff' } : { path: FF, external: true },
      );
      b.onLoad({ filter: /.*/, namespace: 'pushrun-ff' }, () => ({
        contents: [
          `import * as real from '${FF}';`,
          `export * from '${FF}';`,
          `export function http(name, fn) { if (name === ${JSON.stringify(target)}) real.http(name, fn); }`,
        ].join('\n'),
        resolveDir: ROOT,
      }));
      b.onResolve({ filter: /^pushrun-wiring:/ }, () => ({ path: 'wiring', namespace: 'pushrun-wiring' }));
      b.onLoad({ filter: /.*/, namespace: 'pushrun-wiring' }, () => ({
        contents: `export { ${builderOf(target, text)} } from './shared/wiring.ts';`,
        loader: 'ts',
        resolveDir: ROOT,
      }));
    },
  };
}

function installedVersion(pkg) {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

// ---- zip (deflate, fixed timestamps: the same build gives the same bytes, so
// Terraform's filemd5 only changes when the code does)

function zip(files) {
  const local = [];
  const central = [];
  let offset = 0;
  const DOS_TIME = 0; // 00:00:00
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01 (years since 1980, month, day)
  for (const { name, data } of files) {
    const nameBytes = Buffer.from(name, 'utf8');
    const compressed = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4); // version needed
    header.writeUInt16LE(0x0800, 6); // UTF-8 names
    header.writeUInt16LE(8, 8); // deflate
    header.writeUInt16LE(DOS_TIME, 10);
    header.writeUInt16LE(DOS_DATE, 12);
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(compressed.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    header.writeUInt16LE(0, 28);
    local.push(header, nameBytes, compressed);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(0x031e, 4); // made by: unix, 3.0
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt16LE(DOS_TIME, 12);
    entry.writeUInt16LE(DOS_DATE, 14);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(compressed.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE((0o100644 << 16) >>> 0, 38); // -rw-r--r--
    entry.writeUInt32LE(offset, 42);
    central.push(entry, nameBytes);
    offset += header.length + nameBytes.length + compressed.length;
  }
  const centralSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, ...central, end]);
}

function filesUnder(dir) {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => ({ name: f.split('\\').join('/'), data: readFileSync(join(dir, f)) }));
}

// ---- build

const indexText = readFileSync(INDEX, 'utf8');
const registered = new Set(registrations(indexText).map((r) => r.name));
const missing = FUNCTIONS.filter((f) => !registered.has(f));
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const summary = [];
for (const name of FUNCTIONS.filter((f) => registered.has(f))) {
  const dir = join(OUT, name);
  const result = await build({
    entryPoints: { index: INDEX },
    outdir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    external: EXTERNALS,
    plugins: [onlyTarget(name, indexText)],
    banner: { js: BANNER },
    chunkNames: 'chunk-[hash]',
    legalComments: 'none',
    minifySyntax: true,
    metafile: true,
    logLevel: 'warning',
  });
  // esbuild makes a chunk for every import() it meets before tree-shaking, so builders
  // dropped from this function leave orphan chunks (e.g. KMS in the scheduler). Keep only
  // what index.js can reach, statically or through import().
  const reachable = new Set(['index.js']);
  for (const queue = ['index.js']; queue.length > 0; ) {
    const text = readFileSync(join(dir, queue.pop()), 'utf8');
    for (const m of text.matchAll(/(?:from\s*|import\s*\(?\s*)["']\.\/(chunk-[\w-]+\.js)["']/g)) {
      if (!reachable.has(m[1])) {
        reachable.add(m[1]);
        queue.push(m[1]);
      }
    }
  }
  for (const f of readdirSync(dir)) if (f.endsWith('.js') && !reachable.has(f)) rmSync(join(dir, f));
  for (const f of readdirSync(dir))
    if (f.endsWith('.js.map') && !reachable.has(f.slice(0, -4))) rmSync(join(dir, f));
  const imported = new Set();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const i of output.imports) if (i.external) imported.add(i.path.split('/').slice(0, 2).join('/'));
  }
  const dependencies = Object.fromEntries(
    EXTERNALS.filter((e) => imported.has(e) || e === FF).map((e) => [e, installedVersion(e)]),
  );
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify(
      {
        name: `pushrun-${name}`,
        version: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
        private: true,
        type: 'module',
        main: 'index.js',
        engines: { node: '>=24' },
        dependencies,
      },
      null,
      2,
    )}\n`,
  );
  const files = filesUnder(dir);
  const archive = zip(files);
  writeFileSync(join(OUT, `${name}.zip`), archive);
  const bytes = files.reduce((n, f) => n + f.data.length, 0);
  const inputs = Object.entries(result.metafile.outputs)
    .filter(([out]) => reachable.has(out.split('/').pop()))
    .flatMap(([, o]) => Object.keys(o.inputs));
  const clients = [
    ...new Set(inputs.map((p) => /node_modules\/(@google-cloud\/[\w-]+)/.exec(p)?.[1]).filter(Boolean)),
  ];
  summary.push({
    name,
    files: files.length,
    kb: Math.round(bytes / 1024),
    zipKb: Math.round(archive.length / 1024),
    md5: createHash('md5').update(archive).digest('hex').slice(0, 8),
    clients: [...clients, ...Object.keys(dependencies).filter((d) => d !== FF)].join(' ') || '-',
  });
}

for (const s of summary) {
  console.log(
    `${relative(ROOT, join(OUT, `${s.name}.zip`))}  ${s.files} files, ${s.kb} KB → ${s.zipKb} KB zip (md5 ${s.md5})  google clients: ${s.clients}`,
  );
}
if (missing.length > 0) {
  console.warn(
    `not registered in functions/index.ts yet, no artifact: ${missing.join(', ')} (terraform/platform needs all four zips)`,
  );
}
