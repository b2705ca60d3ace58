import { inject } from 'vitest';

process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreEmulatorHost');
process.env.METADATA_SERVER_DETECTION = 'none';
