import { z } from 'zod';
import { ErrorBody } from '../contracts/common.js';
import type { Route } from './types.js';

function schemaOf(s: z.ZodType): unknown {
  return z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
}

/** OpenAPI 3.1 generated from the route table and its zod contracts: the contracts are the documentation. */
export function buildOpenApi(routes: Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/(?<=\/):(\w+)/g, '{$1}');
    const params = [...r.path.matchAll(/(?<=\/):(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const op: Record<string, unknown> = {
      summary: r.summary,
      parameters: params,
      security: r.access.kind === 'public' ? [] : [{ bearer: [] }],
      'x-pushrun-permission': r.access.kind === 'permission' ? r.access.permission : r.access.kind,
      responses: {
        default: { description: 'error', content: { 'application/json': { schema: schemaOf(ErrorBody) } } },
        ...(r.response
          ? {
              '2XX': {
                description: 'success',
                content: { 'application/json': { schema: schemaOf(r.response) } },
              },
            }
          : { '2XX': { description: 'success' } }),
      },
    };
    if (r.request) {
      op.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(r.request) } } };
    }
    paths[path] = { ...paths[path], [r.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'pushrun API', version: '1' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
