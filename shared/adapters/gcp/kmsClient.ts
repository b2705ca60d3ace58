import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { insecureGrpcOptions } from './emulatorGrpcOptions.js';
import { loadSdk } from './loadSdk.js';

/** The Cloud KMS client; `endpoint` ('host:port') points it at the emulator. Imports the SDK only when called. */
export async function createKmsClient(
  opts: { endpoint?: string | undefined } = {},
): Promise<KeyManagementServiceClient> {
  const { KeyManagementServiceClient } = await loadSdk(() => import('@google-cloud/kms'));
  return opts.endpoint
    ? new KeyManagementServiceClient(await insecureGrpcOptions(opts.endpoint))
    : new KeyManagementServiceClient();
}
