import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createControlServer, listen } from './control.js';
import { MemoryFaultInjector } from './core/faults.js';
import { LocalOidcSigner } from './core/oidc.js';
import { closeServer } from './core/rest.js';
import { MemoryCallStats } from './core/stats.js';
import type { EmulatorContext, EmulatorEndpoints, RunningService } from './core/types.js';
import { startIamEmulator } from './iam/iamEmulator.js';
import { type IamSnapshot, IamState } from './iam/iamState.js';
import { startKmsEmulator } from './kms/kmsEmulator.js';
import { type PersistedJob, RunState, startRunEmulator } from './run/runEmulator.js';
import { startTasksEmulator } from './tasks/tasksEmulator.js';

export interface StartedEmulators {
  endpoints: EmulatorEndpoints;
  context: EmulatorContext;
  stop(): Promise<void>;
}

export interface StartEmulatorsOptions {
  /** Loopback address to bind; default 127.0.0.1. */
  host?: string;
  /** Folder to keep IAM state and job definitions in across restarts (executions are not kept). */
  persistDir?: string;
}

/**
 * Starts every emulator in this process on loopback ports chosen by the OS:
 * Cloud Run Admin v2 and IAM (REST), Cloud Tasks and Cloud KMS (gRPC), and the
 * control API that also serves the OIDC issuer. `stop()` releases every port,
 * timer and child process.
 */
export async function startEmulators(opts: StartEmulatorsOptions = {}): Promise<StartedEmulators> {
  const host = opts.host ?? '127.0.0.1';
  const started: RunningService[] = [];
  const control = createControlServer();
  const stopAll = async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
    if (control.server.listening) await closeServer(control.server);
  };
  try {
    const controlUrl = await listen(control.server, host);
    const faults = new MemoryFaultInjector();
    const oidc = await LocalOidcSigner.create(controlUrl);
    const context: EmulatorContext = { host, faults, stats: new MemoryCallStats(), oidc };
    const iam = new IamState();
    const run = new RunState(iam);
    if (opts.persistDir) await restore(opts.persistDir, iam, run);

    const services = await Promise.allSettled([
      startRunEmulator(context, iam, run),
      startIamEmulator(context, iam),
      startTasksEmulator(context),
      startKmsEmulator(context),
    ]);
    for (const s of services) if (s.status === 'fulfilled') started.push(s.value);
    const failed = services.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const [runService, iamService, tasksService, kmsService] = started as [
      RunningService,
      RunningService,
      RunningService,
      RunningService,
    ];
    control.setDeps({ ctx: context, faults, oidc, iam, run });

    const endpoints: EmulatorEndpoints = {
      run: runService.address,
      tasks: tasksService.address,
      kms: kmsService.address,
      iam: iamService.address,
      control: controlUrl,
      oidcIssuer: oidc.issuer,
      jwksUri: oidc.jwksUri,
    };
    let stopped = false;
    return {
      endpoints,
      context,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopAll();
        if (opts.persistDir) await persist(opts.persistDir, iam, run);
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function restore(dir: string, iam: IamState, run: RunState): Promise<void> {
  const read = async <T>(file: string): Promise<T | undefined> => {
    try {
      return JSON.parse(await readFile(join(dir, file), 'utf8')) as T;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  const iamSnapshot = await read<IamSnapshot>('iam.json');
  if (iamSnapshot) iam.restore(iamSnapshot);
  const jobs = await read<PersistedJob[]>('run-jobs.json');
  if (jobs) run.restore(jobs);
}

async function persist(dir: string, iam: IamState, run: RunState): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'iam.json'), JSON.stringify(iam.snapshot(), null, 2));
  await writeFile(join(dir, 'run-jobs.json'), JSON.stringify(run.persist(), null, 2));
}
