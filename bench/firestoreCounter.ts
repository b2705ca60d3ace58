import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Counts Firestore document reads and writes made by this process, for
 * benchmarks that report per-run costs (Firestore bills per document). It wraps
 * three internals of @google-cloud/firestore — the batch document reader, the
 * query runner and the write-batch commit, which every get, query, transaction
 * and write go through. Bench-only instrumentation: production code never loads it.
 */
export interface FirestoreCounts {
  reads: number;
  writes: number;
}

export function installFirestoreCounter(): { snapshot(): FirestoreCounts } {
  const require = createRequire(import.meta.url);
  const src = dirname(require.resolve('@google-cloud/firestore'));
  const counts: FirestoreCounts = { reads: 0, writes: 0 };
  type AnyFn = (this: Record<string, unknown>, ...args: unknown[]) => Promise<unknown>;
  const patch = (
    file: string,
    cls: string,
    method: string,
    count: (self: Record<string, unknown>, result: unknown) => void,
  ) => {
    const proto = (require(join(src, file)) as Record<string, { prototype: Record<string, AnyFn> }>)[cls]
      ?.prototype;
    if (!proto || typeof proto[method] !== 'function')
      throw new Error(`firestore internals changed: ${cls}.${method}`);
    const original = proto[method] as AnyFn;
    proto[method] = async function (this: Record<string, unknown>, ...args: unknown[]) {
      const result = await original.apply(this, args);
      count(this, result);
      return result;
    };
  };
  patch('document-reader.js', 'DocumentReader', '_get', (self) => {
    counts.reads += (self.allDocuments as unknown[]).length;
  });
  patch('reference/query.js', 'Query', '_getResponse', (_self, result) => {
    const r = result as { result?: { size?: number }; size?: number };
    // An empty query result is still billed as one read.
    counts.reads += Math.max(1, r.result?.size ?? r.size ?? 0);
  });
  patch('write-batch.js', 'WriteBatch', '_commit', (self) => {
    counts.writes += (self._ops as unknown[]).length;
  });
  return { snapshot: () => ({ ...counts }) };
}
