import type { CloudTasksClient } from '@google-cloud/tasks';
import { insecureGrpcOptions } from './emulatorGrpcOptions.js';
import { loadSdk } from './loadSdk.js';

/** The Cloud Tasks client; `endpoint` ('host:port') points it at the emulator. Imports the SDK only when called. */
export async function createCloudTasksClient(
  opts: { endpoint?: string | undefined } = {},
): Promise<CloudTasksClient> {
  const { CloudTasksClient } = await loadSdk(() => import('@google-cloud/tasks'));
  return opts.endpoint
    ? new CloudTasksClient(await insecureGrpcOptions(opts.endpoint))
    : new CloudTasksClient();
}
