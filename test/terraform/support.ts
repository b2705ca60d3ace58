import { resolve } from 'node:path';
import { convertFiles } from '@cdktf/hcl2json';

export const REPO = resolve(import.meta.dirname, '../..');

/** One resource block as hcl2json renders it: attributes, and nested blocks as arrays. */
export type HclBody = Record<string, unknown>;

export interface HclModule {
  resource?: Record<string, Record<string, HclBody[]>>;
  locals?: HclBody[];
  variable?: Record<string, HclBody[]>;
  output?: Record<string, HclBody[]>;
}

/** Every .tf file of a module directory (relative to the repository), parsed and merged by HashiCorp's parser. */
export async function parseModule(dir: string): Promise<HclModule> {
  return (await convertFiles(resolve(REPO, dir))) as HclModule;
}

export function resources(mod: HclModule, type: string): Record<string, HclBody> {
  return Object.fromEntries(
    Object.entries(mod.resource?.[type] ?? {}).map(([name, bodies]) => {
      if (bodies.length !== 1) throw new Error(`${type}.${name} declared ${bodies.length} times`);
      return [name, bodies[0] as HclBody];
    }),
  );
}

export function locals(mod: HclModule): HclBody {
  return Object.assign({}, ...(mod.locals ?? []));
}

/** The single nested block `name` of a body. */
export function block(body: HclBody, name: string): HclBody {
  const blocks = body[name];
  if (!Array.isArray(blocks) || blocks.length !== 1) throw new Error(`expected one ${name} block`);
  return blocks[0] as HclBody;
}
