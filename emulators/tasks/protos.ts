import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import type { grpc } from 'google-gax';

const require = createRequire(import.meta.url);

/** The folder of an installed package, found from its entry point (exports maps hide package.json). */
export function packageRoot(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name
    ) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the folder of package ${name}`);
    dir = parent;
  }
}

/**
 * Loader options shared by the emulators: camelCase fields, enums as their names,
 * int64 as JS numbers (every int64 the emulated APIs carry — counts, CRC32C values,
 * timestamp seconds — fits in 2^53), and no defaults so absent fields stay absent.
 */
const loaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
};

/** Loads one service definition from a Google client package's own protos. */
export function loadService(
  packageName: string,
  protoFile: string,
  serviceName: string,
): grpc.ServiceDefinition {
  const definition = protoLoader.loadSync(protoFile, {
    ...loaderOptions,
    includeDirs: [
      join(packageRoot(packageName), 'build', 'protos'),
      join(packageRoot('google-gax'), 'build', 'protos'),
    ],
  });
  const service = definition[serviceName];
  if (!service) throw new Error(`${serviceName} not found in ${protoFile}`);
  return service as grpc.ServiceDefinition;
}
