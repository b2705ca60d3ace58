import { invalidArgument } from './errors.js';

/** Proto3 JSON Duration ("3.5s") to seconds; `{seconds, nanos}` objects are accepted too. */
export function parseDuration(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') {
    const m = /^(-?\d+(?:\.\d{1,9})?)s$/.exec(value);
    if (!m) throw invalidArgument(`Invalid duration for ${field}: '${value}'.`, field);
    return Number(m[1]);
  }
  if (typeof value === 'object') {
    const v = value as { seconds?: number | string; nanos?: number };
    return Number(v.seconds ?? 0) + (v.nanos ?? 0) / 1e9;
  }
  throw invalidArgument(`Invalid duration for ${field}.`, field);
}

export function formatDuration(seconds: number): string {
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(9).replace(/0+$/, '')}s`;
}

export function timestamp(ms: number): string {
  return new Date(ms).toISOString();
}

export function asString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function asBool(value: unknown): boolean {
  return value === true || value === 'true';
}

export function asInt(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n)) throw invalidArgument(`Invalid integer for ${field}.`, field);
  return n;
}
