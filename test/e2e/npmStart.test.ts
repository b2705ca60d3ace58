import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm start` as a newcomer runs it: the whole stack comes up with the demo
 * workspace, the printed curl line really runs the example flow to COMPLETED,
 * and Ctrl-C (SIGINT) stops every process it started.
 */
const TSX = resolve('node_modules/.bin/tsx');
let child: ChildProcess | undefined;

afterAll(() => {
  if (child?.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
});

function descendants(pid: number): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' });
  const children = new Map<number, number[]>();
  for (const line of out.trim().split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number) as [number, number];
    children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const all: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.pop() as number) ?? []) {
      all.push(c);
      queue.push(c);
    }
  }
  return all;
}

/** Running (a zombie waiting for its reaper holds nothing and runs nothing). */
function alive(pid: number): boolean {
  try {
    const stat = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return stat !== '' && !stat.startsWith('Z');
  } catch {
    return false;
  }
}

describe('npm start', () => {
  it('brings the stack up with a demo that runs, and Ctrl-C leaves no process behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushrun-start-'));
    const localFile = join(dir, 'local.json');
    child = spawn(process.execPath, [TSX, 'scripts/start.ts'], {
      env: { ...process.env, PUSHRUN_LOCAL_FILE: localFile, FIRESTORE_EMULATOR_HOST: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d) => {
      output += d;
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    const deadline = Date.now() + 90_000;
    while (!output.includes('Ctrl-C stops everything') && Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`npm start exited: ${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(output).toContain('pushrun is running on loopback');
    expect(existsSync(localFile)).toBe(true);
    const local = JSON.parse(readFileSync(localFile, 'utf8')) as {
      apiUrl: string;
      apiKey: string;
      workspace: string;
    };
    const spawned = descendants(child.pid as number);
    expect(spawned.length).toBeGreaterThan(0); // at least the Firestore emulator

    const h = { authorization: `Bearer ${local.apiKey}`, 'content-type': 'application/json' };
    const created = (await (
      await fetch(`${local.apiUrl}/v1/workspaces/${local.workspace}/deployments/etl/runs`, {
        method: 'POST',
        headers: h,
        body: JSON.stringify({ parameters: { rows: 4 } }),
      })
    ).json()) as { id: string };
    let state = '';
    for (let i = 0; i < 150 && !['COMPLETED', 'FAILED', 'CRASHED'].includes(state); i++) {
      await new Promise((r) => setTimeout(r, 200));
      const run = (await (
        await fetch(`${local.apiUrl}/v1/workspaces/${local.workspace}/runs/${created.id}`, { headers: h })
      ).json()) as { state: { type: string } };
      state = run.state.type;
    }
    expect(state).toBe('COMPLETED');

    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    // tsx exits as soon as its child has handled the signal; give the stop a bounded while.
    for (let i = 0; i < 100 && spawned.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    expect(spawned.filter(alive)).toEqual([]);
  }, 150_000);
});
