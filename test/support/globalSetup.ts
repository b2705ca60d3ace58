import type { TestProject } from 'vitest/node';
import { startFirestoreEmulator } from './firestoreEmulator.js';

declare module 'vitest' {
  export interface ProvidedContext {
    firestoreEmulatorHost: string;
  }
}

/** One Firestore emulator for the whole run; each test file uses its own project id. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const firestore = await startFirestoreEmulator();
  project.provide('firestoreEmulatorHost', firestore.host);
  return async () => {
    await firestore.stop();
  };
}
