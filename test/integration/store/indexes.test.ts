import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreAccessStore } from '../../../shared/adapters/gcp/firestoreAccessStore.js';
import { createFirestore } from '../../../shared/adapters/gcp/firestoreClient.js';
import {
  issuedQueryShapes,
  QUERY_SHAPES,
  type QueryShape,
} from '../../../shared/adapters/gcp/firestoreQueries.js';
import { FirestoreRunStore } from '../../../shared/adapters/gcp/firestoreRunStore.js';
import { FirestoreScheduleStore } from '../../../shared/adapters/gcp/firestoreScheduleStore.js';
import { FirestoreWorkspaceStore } from '../../../shared/adapters/gcp/firestoreWorkspaceStore.js';
import { Deployment, RetryPolicy } from '../../../shared/contracts/deployment.js';
import { StateType } from '../../../shared/domain/runStates.js';
import { clearFirestore } from '../../support/firestoreEmulator.js';

interface IndexFile {
  fieldOverrides: {
    collectionGroup: string;
    fieldPath: string;
    indexes: { order?: string; queryScope: string }[];
  }[];
  indexes: {
    collectionGroup: string;
    queryScope: string;
    fields: { fieldPath: string; order?: 'ASCENDING' | 'DESCENDING' }[];
  }[];
}

const indexFile = JSON.parse(readFileSync('firestore.indexes.json', 'utf8')) as IndexFile;

/**
 * Production Firestore serves an equality-filtered, ordered query only from a
 * composite index whose fields are the equality fields (any order) followed by
 * the order-by fields with matching direction.
 */
function covered(shape: QueryShape): boolean {
  if (shape.scope === 'COLLECTION_GROUP' && shape.equality.length === 0 && shape.orderBy.length === 1) {
    const [order] = shape.orderBy;
    return indexFile.fieldOverrides.some(
      (o) =>
        o.collectionGroup === shape.collectionGroup &&
        o.fieldPath === order?.field &&
        o.indexes.some((i) => i.queryScope === 'COLLECTION_GROUP' && i.order === order.direction),
    );
  }
  return indexFile.indexes.some((ix) => {
    if (ix.collectionGroup !== shape.collectionGroup || ix.queryScope !== 'COLLECTION') return false;
    const eq = ix.fields.slice(0, shape.equality.length).map((f) => f.fieldPath);
    const rest = ix.fields.slice(shape.equality.length);
    return (
      eq.length === shape.equality.length &&
      shape.equality.every((f) => eq.includes(f)) &&
      rest.length === shape.orderBy.length &&
      rest.every((f, i) => f.fieldPath === shape.orderBy[i]?.field && f.order === shape.orderBy[i]?.direction)
    );
  });
}

/** Shapes over runs that the schedule store (not the run store) issues. */
const SCHEDULE_STORE_SHAPES: string[] = ['futureScheduledRuns'];

const projectId = `indexes-${process.pid}`;
const firestore = createFirestore({ projectId });
const runs = new FirestoreRunStore({ firestore });
const access = new FirestoreAccessStore({ firestore });

beforeAll(() => issuedQueryShapes.clear());
afterAll(async () => {
  await firestore.terminate();
  await clearFirestore(process.env.FIRESTORE_EMULATOR_HOST as string, projectId);
});

describe('composite indexes', () => {
  it.each(Object.entries(QUERY_SHAPES))('query shape %s has its composite index declared', (_name, shape) => {
    expect(covered(shape)).toBe(true);
  });

  it('every list query the run store issues is a declared shape', async () => {
    for (const deployment of [undefined, 'etl']) {
      for (const state of [undefined, ...StateType.options]) {
        await runs.listRuns('ws', { deployment, state, pageSize: 5 });
      }
    }
    await runs.listLogs('ws', 'run', { pageSize: 5 });
    await runs.listLogs('ws', 'run', { level: 'ERROR', pageSize: 5 });
    await runs.listOverdue(new Date(), 5);
    await runs.listLate(new Date(), 5);
    await runs.listWaiting('ws', { workPool: 'p' }, 5);
    await runs.listWaiting('ws', { deployment: 'd' }, 5);
    const runStoreShapes = Object.entries(QUERY_SHAPES)
      .filter(([, shape]) => shape.collectionGroup === 'runs' || shape.collectionGroup === 'logs')
      .map(([name]) => name)
      .filter((name) => !SCHEDULE_STORE_SHAPES.includes(name));
    expect([...issuedQueryShapes].sort()).toEqual(runStoreShapes.sort());
  });

  it('every query the schedule store issues is a declared shape', async () => {
    const schedules = new FirestoreScheduleStore({ firestore });
    await new FirestoreWorkspaceStore({ firestore }).createDeployment(
      'ws',
      Deployment.parse({
        name: 'd',
        workPool: 'p',
        env: {},
        jobVariables: {},
        parameters: {},
        concurrencyLimit: null,
        collisionStrategy: 'enqueue',
        retryPolicy: RetryPolicy.parse({}),
        priority: 0,
        tags: [],
        paused: false,
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      }),
    );
    await schedules.listDue(new Date(), 5);
    await schedules.editDeployment('ws', 'd', (d) => ({ next: d, removeScheduledAfter: new Date() }));
    const issued = [...issuedQueryShapes].filter(
      (n) => n === 'dueDeployments' || SCHEDULE_STORE_SHAPES.includes(n),
    );
    expect(issued.sort()).toEqual(['dueDeployments', ...SCHEDULE_STORE_SHAPES].sort());
  });

  it('every audit-log query the access store issues is a declared shape', async () => {
    const auditShapes = Object.entries(QUERY_SHAPES)
      .filter(([, shape]) => shape.collectionGroup === 'auditEvents')
      .map(([name]) => name);
    for (const actorKey of [undefined, 'member:a']) {
      for (const action of [undefined, 'POST /x']) {
        for (const target of [undefined, '/x/y']) {
          for (const range of [{}, { from: '2020-01-01T00:00:00.000Z', to: '2030-01-01T00:00:00.000Z' }]) {
            await access.listAuditEvents('ws', { actorKey, action, target, ...range, pageSize: 5 });
          }
        }
      }
    }
    const issued = [...issuedQueryShapes].filter((n) => QUERY_SHAPES[n].collectionGroup === 'auditEvents');
    expect(issued.sort()).toEqual(auditShapes.sort());
  });

  it('the checker itself fails for an undeclared shape', () => {
    expect(
      covered({
        collectionGroup: 'runs',
        equality: ['tags'],
        orderBy: [{ field: 'id', direction: 'DESCENDING' }],
      }),
    ).toBe(false);
  });
});
