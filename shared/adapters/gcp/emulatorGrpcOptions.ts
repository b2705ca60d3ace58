import type { grpc } from 'google-gax';
import { loadSdk } from './loadSdk.js';

/** gRPC options for an emulator on loopback: plain text, and no credentials (the emulators check none for these APIs). */
export async function insecureGrpcOptions(endpoint: string): Promise<{
  apiEndpoint: string;
  port: number;
  sslCreds: ReturnType<typeof grpc.credentials.createInsecure>;
  universeDomain: string;
}> {
  const { grpc } = await loadSdk(() => import('google-gax'));
  const at = endpoint.lastIndexOf(':');
  const host = endpoint.slice(0, at);
  const port = Number(endpoint.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
    throw new Error(`emulator endpoint must be host:port, got '${endpoint}'`);
  }
  return {
    apiEndpoint: host,
    port,
    // Must be the grpc-js copy google-gax uses: credentials of another copy are rejected.
    sslCreds: grpc.credentials.createInsecure(),
    // Otherwise the first call asks the GCE metadata server for the universe domain.
    universeDomain: 'googleapis.com',
  };
}
