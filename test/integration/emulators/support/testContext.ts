import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type {
  CallStats,
  EmulatorContext,
  FaultDecision,
  FaultInjector,
  FaultSpec,
  OidcSigner,
} from '../../../../emulators/core/types.js';

/**
 * A test-only EmulatorContext for the Tasks and KMS emulator suites, so they do not
 * depend on the launcher's implementations landing first. Semantics follow the doc
 * comments in emulators/core/types.ts.
 */
export interface TestContext extends EmulatorContext {
  close(): Promise<void>;
}

class SimpleFaultInjector implements FaultInjector {
  private specs: FaultSpec[] = [];

  add(spec: FaultSpec): void {
    this.specs.push({ ...spec });
  }

  clear(): void {
    this.specs = [];
  }

  decide(service: string, method: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, duplicateDelivery: false };
    for (const spec of this.specs) {
      if (spec.service !== service || (spec.method !== '*' && spec.method !== method)) continue;
      if (spec.count !== undefined && spec.count <= 0) continue;
      if (spec.rate !== undefined && Math.random() >= spec.rate) continue;
      if (spec.count !== undefined) spec.count -= 1;
      decision.latencyMs += spec.latencyMs ?? 0;
      if (spec.duplicateDelivery) decision.duplicateDelivery = true;
      if (spec.dropResponse) decision.dropWith = spec.code ?? 14;
      else if (spec.code !== undefined) decision.failWith = spec.code;
    }
    return decision;
  }
}

class SimpleCallStats implements CallStats {
  private counts: Record<string, Record<string, number>> = {};

  record(service: string, method: string): void {
    const perService = this.counts[service] ?? {};
    perService[method] = (perService[method] ?? 0) + 1;
    this.counts[service] = perService;
  }

  snapshot(): Record<string, Record<string, number>> {
    return structuredClone(this.counts);
  }

  reset(): void {
    this.counts = {};
  }
}

/** An RS256 issuer whose JWKS is served from a loopback HTTP server, like the real launcher's. */
async function startOidcIssuer(host: string): Promise<{ signer: OidcSigner; server: Server }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = 'test-key-1';
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  let issuer = '';
  const server = createServer((req, res) => {
    if (req.url === '/certs') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/certs` }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  issuer = `http://${host}:${(server.address() as AddressInfo).port}`;
  const signer: OidcSigner = {
    issuer,
    jwksUri: `${issuer}/certs`,
    async signIdToken({ audience, email, lifetimeSeconds = 3600, extra = {} }) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ ...extra, email, email_verified: true })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(email)
        .setIssuedAt(now)
        .setExpirationTime(now + lifetimeSeconds)
        .sign(privateKey);
    },
  };
  return { signer, server };
}

export async function createTestContext(host = '127.0.0.1'): Promise<TestContext> {
  const { signer, server } = await startOidcIssuer(host);
  return {
    host,
    faults: new SimpleFaultInjector(),
    stats: new SimpleCallStats(),
    oidc: signer,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
