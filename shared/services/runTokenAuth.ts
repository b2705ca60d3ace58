import { isTerminal } from '../domain/runStates.js';
import type { RunTokenSigner } from '../domain/runTokens.js';
import type { RunStore } from '../ports/runStore.js';
import type { RunTokenVerifier } from './authenticate.js';

/**
 * A run token is honoured only while its run is active and still at the token's
 * attempt: once the run is terminal (or retried into a new attempt with a new
 * token) the old token is useless, even before it expires.
 */
export function createRunTokenVerifier(deps: { tokens: RunTokenSigner; runs: RunStore }): RunTokenVerifier {
  return {
    async verify(token) {
      const claims = await deps.tokens.verify(token);
      if (!claims) return null;
      const run = await deps.runs.getRun(claims.workspace, claims.runId);
      if (!run || run.attempt !== claims.attempt || isTerminal(run.state.type)) return null;
      return { workspace: claims.workspace, runId: claims.runId };
    },
  };
}
