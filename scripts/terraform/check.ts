/**
 * Offline Terraform validation for CI, where no terraform binary exists.
 *
 * - every .tf file parses with HashiCorp's HCL parser (@cdktf/hcl2json), else file:line of the error;
 * - every `var.`, `local.`, `module.`, `data.` and resource reference resolves in its module;
 * - every resource and data source type exists in the committed provider schema
 *   (terraform/schema/), and so does every attribute and nested block name, recursively;
 * - every local module `source` exists, its inputs are its variables, its required variables are set,
 *   and every `module.X.Y` names an output of it.
 *
 * Problems carry the file (relative to the root) and 1-based line. hcl2json's JSON has no line numbers
 * and cannot tell `x = {…}` from `x {…}`, so structure and lines come from a small scanner of the
 * source text (hclScan.ts) that runs only on files the parser accepted.
 *
 * Run: `npx tsx scripts/terraform/check.ts [root]` (exit 1 on any problem).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { getReferencesInExpression, parse } from '@cdktf/hcl2json';
import { type ScannedAttribute, type ScannedBlock, scanHcl } from './hclScan.js';

export interface TerraformProblem {
  /** Path relative to the checked root, with forward slashes. */
  file: string;
  line: number;
  message: string;
}

export interface SchemaBlock {
  attributes: string[];
  computed: string[];
  blocks: Record<string, SchemaBlock>;
}

export interface ProviderSchema {
  provider: string;
  version: string;
  provider_config: SchemaBlock;
  resources: Record<string, SchemaBlock>;
  data_sources: Record<string, SchemaBlock>;
}

/** Local provider name (`google`, `restapi`, `random`) → its schema. */
export type Schemas = Map<string, ProviderSchema>;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where Terraform lives in this repository; each directory below with .tf files is a module. */
export const TERRAFORM_DIRS = ['terraform', 'examples/terraform'];

export function loadSchemas(schemaDir = join(REPO_ROOT, 'terraform/schema')): Schemas {
  const schemas: Schemas = new Map();
  for (const name of readdirSync(schemaDir).sort()) {
    const path = join(schemaDir, name);
    let schema: ProviderSchema;
    if (name.endsWith('.json.gz')) schema = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8'));
    else if (name.endsWith('.json')) schema = JSON.parse(readFileSync(path, 'utf8'));
    else continue;
    schemas.set(name.replace(/\.json(\.gz)?$/, ''), schema);
  }
  return schemas;
}

// ---------------------------------------------------------------------------------------------
// Parsing

export interface ParsedFile {
  path: string;
  rel: string;
  text: string;
  /** hcl2json's JSON form; undefined when the file did not parse. */
  json: Record<string, unknown> | undefined;
  scan: ScannedBlock | undefined;
}

interface Declaration {
  file: ParsedFile;
  line: number;
  block: ScannedBlock;
}

export interface TerraformModule {
  dir: string;
  files: ParsedFile[];
  variables: Map<string, Declaration>;
  locals: Map<string, { file: ParsedFile; line: number }>;
  outputs: Map<string, Declaration>;
  /** `type.name` → declaration. */
  resources: Map<string, Declaration>;
  data: Map<string, Declaration>;
  moduleCalls: Map<string, Declaration>;
  /** Some file did not parse: its declarations are unknown, so references are not judged. */
  incomplete: boolean;
}

const SYNTAX_ERROR = /^(?:parse config: \[)?(.*?):(\d+),(\d+)(?:-[\d,]+)?: (.*?)\]?$/s;

async function parseFile(path: string, root: string, problems: TerraformProblem[]): Promise<ParsedFile> {
  const rel = relative(root, path).split('\\').join('/');
  const text = readFileSync(path, 'utf8');
  try {
    const json = await parse(rel, text);
    return { path, rel, text, json, scan: scanHcl(text) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // hcl2json reports "parse config: [file:line,col-line,col: summary; detail]"; keep each diagnostic.
    const diagnostics = message
      .replace(/^parse config: \[/, '')
      .replace(/\]$/, '')
      .split(/, (?=\S+:\d+,\d+)/);
    for (const d of diagnostics) {
      const m = SYNTAX_ERROR.exec(d.trim());
      problems.push({
        file: rel,
        line: m ? Number(m[2]) : 1,
        message: `HCL syntax error: ${m ? m[4] : d}`,
      });
    }
    return { path, rel, text, json: undefined, scan: undefined };
  }
}

function tfFilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort()
    .map((f) => join(dir, f));
}

/** Every directory under root/TERRAFORM_DIRS holding .tf files (skipping .terraform caches). */
export function findModuleDirs(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    if (tfFilesIn(dir).length > 0) found.push(dir);
    for (const entry of readdirSync(dir).sort()) {
      if (entry.startsWith('.')) continue;
      const sub = join(dir, entry);
      if (statSync(sub).isDirectory()) walk(sub);
    }
  };
  for (const d of TERRAFORM_DIRS) walk(join(root, d));
  return found;
}

export async function parseModule(
  dir: string,
  root: string,
  problems: TerraformProblem[],
): Promise<TerraformModule> {
  const files: ParsedFile[] = [];
  for (const path of tfFilesIn(dir)) files.push(await parseFile(path, root, problems));
  const mod: TerraformModule = {
    dir,
    files,
    variables: new Map(),
    locals: new Map(),
    outputs: new Map(),
    resources: new Map(),
    data: new Map(),
    moduleCalls: new Map(),
    incomplete: files.some((f) => !f.json),
  };
  const declare = (map: Map<string, Declaration>, key: string, what: string, d: Declaration): void => {
    const prior = map.get(key);
    if (prior) {
      problems.push({
        file: d.file.rel,
        line: d.line,
        message: `duplicate ${what} "${key}" (first declared at ${prior.file.rel}:${prior.line})`,
      });
    } else map.set(key, d);
  };
  for (const file of files) {
    for (const block of file.scan?.blocks ?? []) {
      const d = { file, line: block.line, block };
      const [a, b] = block.labels;
      switch (block.type) {
        case 'variable':
          declare(mod.variables, a ?? '', 'variable', d);
          break;
        case 'output':
          declare(mod.outputs, a ?? '', 'output', d);
          break;
        case 'module':
          declare(mod.moduleCalls, a ?? '', 'module', d);
          break;
        case 'resource':
          declare(mod.resources, `${a}.${b}`, 'resource', d);
          break;
        case 'data':
          declare(mod.data, `${a}.${b}`, 'data source', d);
          break;
        case 'locals':
          for (const attr of block.attributes) {
            const prior = mod.locals.get(attr.name);
            if (prior) {
              problems.push({
                file: file.rel,
                line: attr.line,
                message: `duplicate local "${attr.name}" (first declared at ${prior.file.rel}:${prior.line})`,
              });
            } else mod.locals.set(attr.name, { file, line: attr.line });
          }
          break;
        default:
          break;
      }
    }
  }
  return mod;
}

// ---------------------------------------------------------------------------------------------
// Checking

const RESOURCE_META_ATTRIBUTES = new Set(['count', 'for_each', 'provider', 'depends_on']);
const RESOURCE_META_BLOCKS = new Set(['lifecycle', 'provisioner', 'connection']);
const DATA_META_BLOCKS = new Set(['lifecycle']);
const MODULE_META = new Set(['source', 'version', 'count', 'for_each', 'providers', 'depends_on']);
const VARIABLE_ATTRIBUTES = new Set(['type', 'default', 'description', 'sensitive', 'nullable', 'ephemeral']);
const OUTPUT_ATTRIBUTES = new Set(['value', 'description', 'sensitive', 'depends_on', 'ephemeral']);
const TOP_LEVEL = new Set([
  'terraform',
  'provider',
  'variable',
  'locals',
  'output',
  'module',
  'resource',
  'data',
  'moved',
  'import',
  'removed',
  'check',
]);
/** Roots of references that are always in scope (or scoped by Terraform itself). */
const BUILTIN_ROOTS = new Set(['path', 'terraform', 'count', 'each', 'self']);
/** Resource types Terraform itself provides. */
const BUILTIN_RESOURCES: Record<string, SchemaBlock> = {
  terraform_data: { attributes: ['input', 'triggers_replace'], computed: ['id', 'output'], blocks: {} },
};

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}

function suggest(name: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = levenshtein(name, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3))
    ? ` (did you mean "${best}"?)`
    : '';
}

/** Splits `a.b."c.d".0` into segments, respecting quotes. */
function segments(ref: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of ref) {
    if (c === '"') quoted = !quoted;
    if (c === '.' && !quoted) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

const isIndex = (s: string): boolean => /^(\d+|".*"|\*)$/.test(s);

/** Turns an attribute's source into something getReferencesInExpression accepts. */
function referenceSource(source: string): { expression: string; offset: number } {
  const heredoc = /^<<-?([A-Za-z_][A-Za-z0-9_-]*)\r?\n/.exec(source);
  if (heredoc) {
    // A heredoc's body is a template; hand it over as one (minus the closing marker line).
    const body = source.slice(heredoc[0].length).replace(/\n[^\n]*$/, '\n');
    return { expression: body, offset: heredoc[0].length };
  }
  return { expression: '${' + source + '}', offset: -2 };
}

interface Scope {
  /** Names bound by enclosing `dynamic` blocks (their iterator). */
  iterators: Set<string>;
}

export class TerraformChecker {
  readonly problems: TerraformProblem[] = [];
  private readonly modules = new Map<string, TerraformModule>();

  constructor(
    private readonly root: string,
    private readonly schemas: Schemas,
  ) {}

  private report(file: ParsedFile, line: number, message: string): void {
    this.problems.push({ file: file.rel, line, message });
  }

  async module(dir: string): Promise<TerraformModule> {
    const key = resolve(dir);
    let mod = this.modules.get(key);
    if (!mod) {
      mod = await parseModule(key, this.root, this.problems);
      this.modules.set(key, mod);
    }
    return mod;
  }

  async checkModule(dir: string): Promise<void> {
    const mod = await this.module(dir);
    for (const file of mod.files) {
      if (!file.scan) continue;
      for (const block of file.scan.blocks) await this.checkTopLevel(mod, file, block);
    }
  }

  private schemaFor(type: string, kind: 'resources' | 'data_sources'): SchemaBlock | undefined {
    if (kind === 'resources' && BUILTIN_RESOURCES[type]) return BUILTIN_RESOURCES[type];
    const provider = type.split('_')[0] ?? '';
    return this.schemas.get(provider)?.[kind][type];
  }

  private async checkTopLevel(mod: TerraformModule, file: ParsedFile, block: ScannedBlock): Promise<void> {
    const scope: Scope = { iterators: new Set() };
    if (!TOP_LEVEL.has(block.type)) {
      this.report(file, block.line, `unknown top-level block "${block.type}"`);
      return;
    }
    switch (block.type) {
      case 'resource':
      case 'data': {
        const kind = block.type === 'resource' ? 'resources' : 'data_sources';
        const [type = '', name = ''] = block.labels;
        const schema = this.schemaFor(type, kind);
        const what = block.type === 'resource' ? 'resource type' : 'data source type';
        if (!schema) {
          const provider = type.split('_')[0] ?? '';
          const known = this.schemas.get(provider)?.[kind];
          this.report(
            file,
            block.line,
            known
              ? `unknown ${what} "${type}"${suggest(type, Object.keys(known))}`
              : `unknown ${what} "${type}": no schema for provider "${provider}" in terraform/schema`,
          );
        } else {
          this.checkBody(file, block, schema, `${type}.${name}`, {
            metaAttributes: RESOURCE_META_ATTRIBUTES,
            metaBlocks: block.type === 'resource' ? RESOURCE_META_BLOCKS : DATA_META_BLOCKS,
          });
        }
        await this.checkReferences(mod, file, block, scope);
        return;
      }
      case 'provider': {
        const [name = ''] = block.labels;
        const schema = this.schemas.get(name);
        if (!schema) this.report(file, block.line, `no schema for provider "${name}" in terraform/schema`);
        else this.checkBody(file, block, schema.provider_config, `provider "${name}"`, {});
        await this.checkReferences(mod, file, block, scope);
        return;
      }
      case 'variable': {
        const [name = ''] = block.labels;
        for (const attr of block.attributes) {
          if (!VARIABLE_ATTRIBUTES.has(attr.name)) {
            this.report(file, attr.line, `variable "${name}": unknown argument "${attr.name}"`);
          }
        }
        if (!block.attributes.some((a) => a.name === 'description')) {
          this.report(file, block.line, `variable "${name}" has no description`);
        }
        for (const child of block.blocks) {
          if (child.type !== 'validation') {
            this.report(file, child.line, `variable "${name}": unknown block "${child.type}"`);
          }
        }
        await this.checkReferences(mod, file, block, scope, new Set(['type']));
        return;
      }
      case 'output': {
        const [name = ''] = block.labels;
        for (const attr of block.attributes) {
          if (!OUTPUT_ATTRIBUTES.has(attr.name)) {
            this.report(file, attr.line, `output "${name}": unknown argument "${attr.name}"`);
          }
        }
        if (!block.attributes.some((a) => a.name === 'value')) {
          this.report(file, block.line, `output "${name}" has no value`);
        }
        await this.checkReferences(mod, file, block, scope);
        return;
      }
      case 'module':
        await this.checkModuleCall(mod, file, block);
        await this.checkReferences(mod, file, block, scope, new Set(['providers', 'source']));
        return;
      case 'terraform':
        return;
      default:
        await this.checkReferences(mod, file, block, scope);
    }
  }

  private checkBody(
    file: ParsedFile,
    block: ScannedBlock,
    schema: SchemaBlock,
    where: string,
    meta: { metaAttributes?: Set<string>; metaBlocks?: Set<string> },
  ): void {
    const blockNames = Object.keys(schema.blocks);
    for (const attr of block.attributes) {
      if (schema.attributes.includes(attr.name) || meta.metaAttributes?.has(attr.name)) continue;
      if (attr.name in schema.blocks) {
        this.report(
          file,
          attr.line,
          `${where}: "${attr.name}" is a block, not an argument: write ${attr.name} { … }`,
        );
      } else if (schema.computed.includes(attr.name)) {
        this.report(file, attr.line, `${where}: "${attr.name}" is read-only (computed) and cannot be set`);
      } else {
        this.report(
          file,
          attr.line,
          `${where}: unknown argument "${attr.name}"${suggest(attr.name, [...schema.attributes, ...blockNames])}`,
        );
      }
    }
    for (const child of block.blocks) {
      if (meta.metaBlocks?.has(child.type)) continue;
      if (child.type === 'dynamic') {
        const [name = ''] = child.labels;
        const childSchema = schema.blocks[name];
        if (!childSchema) {
          this.report(
            file,
            child.line,
            `${where}: unknown block "${name}" in dynamic${suggest(name, blockNames)}`,
          );
          continue;
        }
        for (const attr of child.attributes) {
          if (!['for_each', 'iterator', 'labels'].includes(attr.name)) {
            this.report(file, attr.line, `${where}: dynamic "${name}": unknown argument "${attr.name}"`);
          }
        }
        for (const content of child.blocks) {
          if (content.type !== 'content') {
            this.report(
              file,
              content.line,
              `${where}: dynamic "${name}": unexpected block "${content.type}"`,
            );
          } else this.checkBody(file, content, childSchema, `${where}.${name}`, {});
        }
        continue;
      }
      const childSchema = schema.blocks[child.type];
      if (childSchema) this.checkBody(file, child, childSchema, `${where}.${child.type}`, {});
      else if (schema.attributes.includes(child.type)) {
        this.report(
          file,
          child.line,
          `${where}: "${child.type}" is an argument, not a block: write ${child.type} = …`,
        );
      } else {
        this.report(
          file,
          child.line,
          `${where}: unknown block "${child.type}"${suggest(child.type, blockNames)}`,
        );
      }
    }
  }

  private async checkModuleCall(mod: TerraformModule, file: ParsedFile, block: ScannedBlock): Promise<void> {
    const [name = ''] = block.labels;
    const sourceAttr = block.attributes.find((a) => a.name === 'source');
    if (!sourceAttr) {
      this.report(file, block.line, `module "${name}" has no source`);
      return;
    }
    const source = /^"(.*)"$/.exec(sourceAttr.source)?.[1];
    if (source === undefined) {
      this.report(file, sourceAttr.line, `module "${name}": source must be a literal string`);
      return;
    }
    if (!source.startsWith('./') && !source.startsWith('../')) return; // registry/git: not ours to check
    const target = resolve(mod.dir, source);
    if (!existsSync(target) || tfFilesIn(target).length === 0) {
      this.report(file, sourceAttr.line, `module "${name}": source "${source}" has no .tf files`);
      return;
    }
    const child = await this.module(target);
    if (child.incomplete) return; // its syntax errors are reported; its variables are unknown
    for (const attr of block.attributes) {
      if (MODULE_META.has(attr.name) || child.variables.has(attr.name)) continue;
      this.report(
        file,
        attr.line,
        `module "${name}": "${attr.name}" is not a variable of ${source}${suggest(attr.name, child.variables.keys())}`,
      );
    }
    for (const [variable, decl] of child.variables) {
      const required = !decl.block.attributes.some((a) => a.name === 'default');
      if (required && !block.attributes.some((a) => a.name === variable)) {
        this.report(file, block.line, `module "${name}": required variable "${variable}" is not set`);
      }
    }
  }

  /** Resolves every reference in the block's attributes (recursively) against the module. */
  private async checkReferences(
    mod: TerraformModule,
    file: ParsedFile,
    block: ScannedBlock,
    scope: Scope,
    skip: Set<string> = new Set(),
  ): Promise<void> {
    for (const attr of block.attributes) {
      if (skip.has(attr.name)) continue;
      await this.checkAttributeReferences(mod, file, attr, scope);
    }
    for (const child of block.blocks) {
      if (child.type === 'lifecycle') {
        // ignore_changes names this resource's own attributes, not references.
        await this.checkReferences(mod, file, child, scope, new Set(['ignore_changes']));
        continue;
      }
      if (child.type === 'dynamic') {
        const iterator = /^"?([A-Za-z_][\w-]*)"?$/.exec(
          child.attributes.find((a) => a.name === 'iterator')?.source ?? '',
        )?.[1];
        const inner: Scope = { iterators: new Set([...scope.iterators, iterator ?? child.labels[0] ?? '']) };
        for (const attr of child.attributes) {
          if (attr.name === 'iterator') continue;
          await this.checkAttributeReferences(mod, file, attr, attr.name === 'for_each' ? scope : inner);
        }
        for (const content of child.blocks) await this.checkReferences(mod, file, content, inner);
        continue;
      }
      await this.checkReferences(mod, file, child, scope);
    }
  }

  private async checkAttributeReferences(
    mod: TerraformModule,
    file: ParsedFile,
    attr: ScannedAttribute,
    scope: Scope,
  ): Promise<void> {
    const { expression, offset } = referenceSource(attr.source);
    let refs: { value: string; startPosition: number }[];
    try {
      refs = await getReferencesInExpression(file.rel, expression);
    } catch (error) {
      this.report(file, attr.line, `cannot read expression of "${attr.name}": ${(error as Error).message}`);
      return;
    }
    if (mod.incomplete) return; // a declaration may be in the file that did not parse
    for (const ref of refs) {
      const before = attr.source.slice(0, Math.max(0, ref.startPosition + offset));
      const line = attr.line + (before.match(/\n/g)?.length ?? 0);
      const problem = await this.resolveReference(mod, ref.value, scope);
      if (problem) this.report(file, line, problem);
    }
  }

  /** Returns a problem description, or undefined when the reference resolves. */
  private async resolveReference(
    mod: TerraformModule,
    ref: string,
    scope: Scope,
  ): Promise<string | undefined> {
    const [rootName = '', second, third, ...rest] = segments(ref);
    if (BUILTIN_ROOTS.has(rootName) || scope.iterators.has(rootName)) return undefined;
    switch (rootName) {
      case 'var':
        return second && mod.variables.has(second)
          ? undefined
          : `unknown variable "var.${second}"${suggest(second ?? '', mod.variables.keys())}`;
      case 'local':
        return second && mod.locals.has(second)
          ? undefined
          : `unknown local "local.${second}"${suggest(second ?? '', mod.locals.keys())}`;
      case 'module': {
        const call = second ? mod.moduleCalls.get(second) : undefined;
        if (!call) return `unknown module "module.${second}"`;
        const source = /^"(.*)"$/.exec(
          call.block.attributes.find((a) => a.name === 'source')?.source ?? '',
        )?.[1];
        if (!third || isIndex(third) || !source || !(source.startsWith('./') || source.startsWith('../'))) {
          return undefined;
        }
        const child = await this.module(resolve(mod.dir, source));
        return child.incomplete || child.outputs.has(third)
          ? undefined
          : `module "${second}" has no output "${third}"${suggest(third, child.outputs.keys())}`;
      }
      case 'data': {
        const key = `${second}.${third}`;
        if (!mod.data.has(key)) return `unknown data source "data.${key}"`;
        return this.checkAttributeOf(second ?? '', 'data_sources', rest, `data.${key}`);
      }
      default: {
        const key = `${rootName}.${second}`;
        if (!second || !mod.resources.has(key)) {
          return `unknown reference "${ref}": no such resource, variable, local, module or data source`;
        }
        return this.checkAttributeOf(rootName, 'resources', [third ?? '', ...rest], key);
      }
    }
  }

  private checkAttributeOf(
    type: string,
    kind: 'resources' | 'data_sources',
    path: string[],
    where: string,
  ): string | undefined {
    const schema = this.schemaFor(type, kind);
    const attribute = path.find((s) => s !== '' && !isIndex(s));
    if (!schema || !attribute || attribute === 'id') return undefined;
    const known = [...schema.attributes, ...schema.computed, ...Object.keys(schema.blocks)];
    return known.includes(attribute)
      ? undefined
      : `${where} has no attribute "${attribute}"${suggest(attribute, known)}`;
  }
}

/** Checks every Terraform module under `root` (default: this repository). Returns the problems found. */
export async function checkTerraform(
  options: { root?: string; schemas?: Schemas; dirs?: string[] } = {},
): Promise<TerraformProblem[]> {
  const root = resolve(options.root ?? REPO_ROOT);
  const checker = new TerraformChecker(root, options.schemas ?? loadSchemas());
  const dirs = options.dirs?.map((d) => resolve(root, d)) ?? findModuleDirs(root);
  for (const dir of dirs) await checker.checkModule(dir);
  const seen = new Set<string>();
  return checker.problems
    .filter((p) => {
      const key = `${p.file}:${p.line}:${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

export function formatProblem(p: TerraformProblem): string {
  return `${p.file}:${p.line}: ${p.message}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ? resolve(process.argv[2]) : REPO_ROOT;
  const problems = await checkTerraform({ root });
  for (const p of problems) console.error(formatProblem(p));
  const modules = findModuleDirs(root).map((d) => relative(root, d));
  console.log(
    `terraform check: ${modules.length} modules (${modules.join(', ')}), ${problems.length} problems`,
  );
  process.exitCode = problems.length > 0 ? 1 : 0;
}
