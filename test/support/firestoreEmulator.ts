// The Firestore emulator helpers live with the local-stack scripts; tests use the same ones.
export { clearFirestore, freePort, startFirestoreEmulator } from '../../scripts/firestoreEmulator.js';
