import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { type FieldViolation, InvalidArgumentError } from './errors.js';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
type FormatsPlugin = (instance: Ajv2020) => Ajv2020;
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  (addFormatsModule as unknown as FormatsPlugin);

const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: true });
addFormats(ajv);

/** Compiled validators by schema text: deployments are few and schemas rarely change. */
const cache = new Map<string, ValidateFunction>();
const CACHE_LIMIT = 500;

function compile(schema: Record<string, unknown>, field: string): ValidateFunction {
  const key = JSON.stringify(schema);
  const hit = cache.get(key);
  if (hit) return hit;
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw new InvalidArgumentError('invalid parameter schema', [
      { field, issue: err instanceof Error ? err.message : 'not a valid JSON Schema' },
    ]);
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, validate);
  return validate;
}

/** Throws InvalidArgumentError naming `parameterSchema` if the schema is not valid JSON Schema 2020-12. */
export function checkParameterSchema(schema: Record<string, unknown>): void {
  if (schema.type !== undefined && schema.type !== 'object') {
    throw new InvalidArgumentError('invalid parameter schema', [
      { field: 'parameterSchema.type', issue: 'parameters are an object: type must be "object"' },
    ]);
  }
  compile(schema, 'parameterSchema');
}

function violations(errors: ErrorObject[] | null | undefined, prefix: string): FieldViolation[] {
  return (errors ?? []).map((e) => {
    const path = e.instancePath.split('/').filter(Boolean);
    if (e.keyword === 'required' && typeof e.params.missingProperty === 'string')
      path.push(e.params.missingProperty);
    if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') {
      path.push(e.params.additionalProperty);
    }
    return { field: [prefix, ...path].join('.'), issue: e.message ?? 'invalid' };
  });
}

/**
 * Merges the deployment's default parameters under the run's own, fills schema
 * defaults, and validates. Returns the values to store; throws
 * InvalidArgumentError naming each bad `parameters.<path>`.
 */
export function resolveParameters(
  schema: Record<string, unknown> | undefined,
  defaults: Record<string, unknown>,
  given: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = structuredClone({ ...defaults, ...given });
  if (schema === undefined) return merged;
  const validate = compile(schema, 'parameterSchema');
  if (!validate(merged)) {
    const details = violations(validate.errors, 'parameters');
    throw new InvalidArgumentError(`invalid parameters: ${details.map((d) => d.field).join(', ')}`, details);
  }
  return merged;
}
