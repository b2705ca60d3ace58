import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../shared/domain/errors.js';
import { checkParameterSchema, resolveParameters } from '../../../shared/domain/parameters.js';

const schema = {
  type: 'object',
  properties: {
    n: { type: 'integer', minimum: 1 },
    when: { type: 'string', format: 'date' },
    mode: { type: 'string', enum: ['full', 'delta'], default: 'delta' },
    nested: { type: 'object', properties: { x: { type: 'number' } } },
  },
  required: ['n'],
  additionalProperties: false,
};

function fields(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidArgumentError) return err.details.map((d) => d.field).sort();
    throw err;
  }
  return [];
}

describe('run parameters', () => {
  it.each([
    [{ n: 2 }, {}, { n: 2, mode: 'delta' }],
    [{}, { n: 3 }, { n: 3, mode: 'delta' }],
    [{ n: 2 }, { n: 5, mode: 'full' }, { n: 5, mode: 'full' }],
  ])('defaults %j + given %j → %j', (defaults, given, expected) => {
    expect(resolveParameters(schema, defaults, given)).toEqual(expected);
  });

  it.each([
    [{}, ['parameters.n']],
    [{ n: 0 }, ['parameters.n']],
    [{ n: 1, when: 'yesterday' }, ['parameters.when']],
    [{ n: 1, extra: true }, ['parameters.extra']],
    [{ n: 1, nested: { x: 'a' } }, ['parameters.nested.x']],
  ])('given %j names %j', (given, expected) => {
    expect(fields(() => resolveParameters(schema, {}, given))).toEqual(expected);
  });

  it('without a schema, values pass through merged', () => {
    expect(resolveParameters(undefined, { a: 1 }, { b: 2 })).toEqual({ a: 1, b: 2 });
  });

  it('does not mutate the deployment defaults', () => {
    const defaults = { n: 1 };
    resolveParameters(schema, defaults, {});
    expect(defaults).toEqual({ n: 1 });
  });

  it.each([
    [{ type: 'array' }, ['parameterSchema.type']],
    [{ type: 'object', properties: { a: { type: 'nope' } } }, ['parameterSchema']],
    [{ type: 'object', properties: { a: { type: 'string' } } }, []],
  ])('schema %j problems: %j', (s, expected) => {
    expect(fields(() => checkParameterSchema(s))).toEqual(expected);
  });
});
