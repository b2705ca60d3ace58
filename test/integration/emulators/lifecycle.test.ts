import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobsClient } from '@google-cloud/run';
import { JWT } from 'google-auth-library';
import { describe, expect, it } from 'vitest';
import { EmulatorControl } from '../../../emulators/controlClient.js';
import type { EmulatorEndpoints } from '../../../emulators/core/types.js';
import { startEmulators } from '../../../emulators/server.js';
import { liveGroupMembers } from './runProcesses.js';

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return false;
  } catch {
    return true;
  }
}

describe('emulators lifecycle', () => {
  it('start quickly in-process, and stop leaves no child process, port or timer behind', async () => {
    const t0 = performance.now();
    const emulators = await startEmulators();
    const startMs = performance.now() - t0;
    console.log(`emulators started in-process in ${startMs.toFixed(0)} ms`);
    // Generous bound: the machine is shared; the figure above is what to read.
    expect(startMs).toBeLessThan(10_000);

    const control = new EmulatorControl(emulators.endpoints.control);
    await control.createProject('life-cycle');
    const { email } = await control.createServiceAccount('life-cycle', 'runner-sa');
    await control.grant('life-cycle', `serviceAccount:${email}`, { role: 'roles/run.developer' });
    const key = await control.createKey('life-cycle', email);
    const [host, port] = emulators.endpoints.run.split(':');
    const jobs = new JobsClient({
      apiEndpoint: host!,
      port: Number(port),
      protocol: 'http',
      fallback: true,
      authClient: new JWT({
        email,
        key: key.private_key,
        scopes: ['https://www.googleapis.com/auth/cloud-platform'],
      }),
    });
    const [op] = await jobs.createJob({
      parent: 'projects/life-cycle/locations/us-central1',
      jobId: 'sleeper',
      job: {
        template: {
          template: { containers: [{ image: 'i', command: ['sh', '-c', 'sleep 60 & sleep 60; wait'] }] },
        },
      },
    });
    const [job] = await op.promise();
    await jobs.runJob({ name: job.name! });
    let pids: number[] = [];
    for (let i = 0; i < 100 && pids.length === 0; i++) {
      pids = (await control.executions()).flatMap((e) => e.pids);
      if (pids.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(pids.length).toBe(1);
    // The shell and its two sleeps, once it has forked them.
    for (let i = 0; i < 100 && liveGroupMembers(pids[0]!).length < 3; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(liveGroupMembers(pids[0]!).length).toBe(3);
    await jobs.close();

    const s0 = performance.now();
    await emulators.stop();
    console.log(`emulators stopped in ${(performance.now() - s0).toFixed(0)} ms`);
    expect(liveGroupMembers(pids[0]!)).toEqual([]);
    expect(await refused(`${emulators.endpoints.control}/`)).toBe(true);
    expect(await refused(`http://${emulators.endpoints.run}/`)).toBe(true);
    expect(await refused(`http://${emulators.endpoints.iam}/`)).toBe(true);
  });

  it('`npm run emulators` (emulators/main.ts) writes the endpoints file, serves, and exits cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pushrun-emulators-'));
    const file = join(dir, 'emulators.json');
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'emulators/main.ts', '--endpoints-file', file],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let endpoints: EmulatorEndpoints | undefined;
      for (let i = 0; i < 400 && !endpoints; i++) {
        endpoints = await readFile(file, 'utf8').then(
          (t) => JSON.parse(t) as EmulatorEndpoints,
          () => undefined,
        );
        if (!endpoints) await new Promise((r) => setTimeout(r, 25));
      }
      console.log(
        `npm run emulators: endpoints file after ${(performance.now() - t0).toFixed(0)} ms (includes tsx and module load)`,
      );
      expect(endpoints, stderr).toBeDefined();
      expect(Object.keys(endpoints!).sort()).toEqual(
        ['control', 'iam', 'jwksUri', 'kms', 'oidcIssuer', 'run', 'tasks'].sort(),
      );
      expect(endpoints!.run).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(endpoints!.control).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const jwks = (await fetch(endpoints!.jwksUri).then((r) => r.json())) as { keys: unknown[] };
      expect(jwks.keys.length).toBe(1);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await expect(stat(file)).rejects.toThrow();
      expect(await refused(`${endpoints!.control}/`)).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
