/**
 * Imports a CommonJS Google SDK lazily and returns its module.exports. Node's
 * own ESM loader exposes the SDK's named exports on the namespace, but a
 * bundler's chunk for a dynamically imported CommonJS module exposes only
 * `default` (= module.exports); reading through this helper works in both, so
 * the bundled functions behave exactly like `npm start` and the tests.
 */
export async function loadSdk<T extends object>(load: () => Promise<T>): Promise<T> {
  const ns = (await load()) as T & { default?: unknown };
  const exportsObject = ns.default;
  // A bundler chunk has only `default`: then module.exports is the default.
  if (exportsObject !== null && typeof exportsObject === 'object' && Object.keys(ns).length === 1) {
    return exportsObject as T;
  }
  return ns;
}
