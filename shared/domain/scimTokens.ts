import { randomBytes } from 'node:crypto';
import { hashApiKey } from './apiKeys.js';

/**
 * SCIM bearer tokens look like `prs_<workspace>_<secret>`: the workspace lets the
 * server find the stored hash with one read (SCIM URLs carry no workspace), the
 * secret is 192 random bits, and the prefix is what log redaction and secret
 * scanners match.
 */
const SCIM_TOKEN = /^prs_([a-z][a-z0-9-]{0,62})_([0-9a-f]{48})$/;

export function generateScimToken(workspace: string): { token: string; hash: string } {
  const token = `prs_${workspace}_${randomBytes(24).toString('hex')}`;
  return { token, hash: hashApiKey(token) };
}

export function parseScimToken(token: string): { workspace: string } | null {
  const m = SCIM_TOKEN.exec(token);
  return m ? { workspace: m[1] as string } : null;
}
