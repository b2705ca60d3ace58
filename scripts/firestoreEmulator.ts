import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

const SDK_EMULATOR = '/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningFirestoreEmulator {
  host: string;
  stop(): Promise<void>;
}

/**
 * Starts Google's Firestore emulator (Java) in its own process group on a free
 * loopback port and resolves once it answers `GET /`. `stop` kills the whole
 * group, so no JVM is left behind.
 */
export async function startFirestoreEmulator(
  opts: { port?: number } = {},
): Promise<RunningFirestoreEmulator> {
  const port = opts.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  const [cmd, args] = existsSync(SDK_EMULATOR)
    ? [SDK_EMULATOR, ['start', '--host=127.0.0.1', `--port=${port}`]]
    : ['gcloud', ['emulators', 'firestore', 'start', `--host-port=${host}`, '--quiet']];
  const child: ChildProcess = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`Firestore emulator exited with ${code}: ${output.slice(-2000)}`)),
    ),
  );
  const deadline = Date.now() + 60_000;
  const ready = (async () => {
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`http://${host}/`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Firestore emulator not ready after 60 s: ${output.slice(-2000)}`);
  })();
  try {
    await Promise.race([ready, exited]);
  } catch (err) {
    killGroup(child);
    throw err;
  }
  exited.catch(() => {});
  return {
    host,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        // Stop the JVM first, not the launcher script: the script then reaps it and
        // exits by itself. Killing the script first would orphan the JVM to PID 1.
        const jvms = childPids(child.pid);
        if (jvms.length > 0) for (const pid of jvms) signal(pid, 'SIGTERM');
        else killGroup(child);
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
        await gone;
        clearTimeout(timer);
      }
      // The launcher script exits before the JVM it started has finished shutting
      // down: wait for the whole process group, and kill what is left after 5 s.
      const deadline = Date.now() + 5_000;
      while (groupAlive(child)) {
        if (Date.now() > deadline) {
          killGroup(child, 'SIGKILL');
          await new Promise((r) => setTimeout(r, 100));
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

function childPids(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function groupAlive(child: ChildProcess): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Deletes every document of one emulator project: isolates test files from each other. */
export async function clearFirestore(host: string, projectId: string): Promise<void> {
  const res = await fetch(`http://${host}/emulator/v1/projects/${projectId}/databases/(default)/documents`, {
    method: 'DELETE',
  });
  if (!res.ok) throw new Error(`clearing Firestore emulator failed: ${res.status}`);
}
