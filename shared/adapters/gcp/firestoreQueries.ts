/**
 * Every query shape the Firestore adapters issue that needs more than Firestore's
 * automatic single-field indexes. Production Firestore refuses such a query
 * without a composite index (the emulator does not), so a test checks each
 * shape against firestore.indexes.json, and the adapters record the shapes they
 * actually run so the test also catches a query that is missing from this list.
 */
export interface QueryShape {
  collectionGroup: string;
  equality: string[];
  orderBy: { field: string; direction: 'ASCENDING' | 'DESCENDING' }[];
  /** COLLECTION_GROUP shapes with no equality need a single-field collection-group index instead. */
  scope?: 'COLLECTION' | 'COLLECTION_GROUP';
}

export const QUERY_SHAPES = {
  runsByDeployment: {
    collectionGroup: 'runs',
    equality: ['deployment'],
    orderBy: [{ field: 'id', direction: 'DESCENDING' }],
  },
  runsByState: {
    collectionGroup: 'runs',
    equality: ['stateType'],
    orderBy: [{ field: 'id', direction: 'DESCENDING' }],
  },
  runsByDeploymentAndState: {
    collectionGroup: 'runs',
    equality: ['deployment', 'stateType'],
    orderBy: [{ field: 'id', direction: 'DESCENDING' }],
  },
  logsByLevel: {
    collectionGroup: 'logs',
    equality: ['level'],
    orderBy: [{ field: '__name__', direction: 'ASCENDING' }],
  },
  /** Collection-group range query of the sweep: served by a COLLECTION_GROUP single-field index (fieldOverrides). */
  overdueRuns: {
    collectionGroup: 'runs',
    equality: [],
    orderBy: [{ field: 'watchdogAt', direction: 'ASCENDING' }],
    scope: 'COLLECTION_GROUP',
  },
  /** The scheduler tick's one query: deployments whose next materialisation is due. */
  dueDeployments: {
    collectionGroup: 'deployments',
    equality: [],
    orderBy: [{ field: 'nextMaterializeAt', direction: 'ASCENDING' }],
    scope: 'COLLECTION_GROUP',
  },
  /** SCHEDULED(Scheduled) runs past their late threshold, for the tick. */
  lateRuns: {
    collectionGroup: 'runs',
    equality: [],
    orderBy: [{ field: 'lateAt', direction: 'ASCENDING' }],
    scope: 'COLLECTION_GROUP',
  },
  /** An edit's removal of a deployment's future scheduled runs (range on scheduledTime). */
  futureScheduledRuns: {
    collectionGroup: 'runs',
    equality: ['deployment', 'stateType'],
    orderBy: [{ field: 'scheduledTime', direction: 'ASCENDING' }],
  },
  /** Runs waiting for a slot of a work pool, in start order (priority, then scheduled time). */
  waitingInPool: {
    collectionGroup: 'runs',
    equality: ['stateName', 'workPool'],
    orderBy: [
      { field: 'priority', direction: 'DESCENDING' },
      { field: 'scheduledTime', direction: 'ASCENDING' },
    ],
  },
  /** Runs waiting for a slot of their deployment, earliest first. */
  waitingInDeployment: {
    collectionGroup: 'runs',
    equality: ['stateName', 'deployment'],
    orderBy: [{ field: 'scheduledTime', direction: 'ASCENDING' }],
  },
  // Audit log: any combination of the actor/action/target filters, newest first, optionally a time range.
  auditByActor: {
    collectionGroup: 'auditEvents',
    equality: ['actorKey'],
    orderBy: [{ field: 'time', direction: 'DESCENDING' }],
  },
  auditByAction: {
    collectionGroup: 'auditEvents',
    equality: ['action'],
    orderBy: [{ field: 'time', direction: 'DESCENDING' }],
  },
  auditByTarget: {
    collectionGroup: 'auditEvents',
    equality: ['target'],
    orderBy: [{ field: 'time', direction: 'DESCENDING' }],
  },
  auditByActorAndAction: {
    collectionGroup: 'auditEvents',
    equality: ['actorKey', 'action'],
    orderBy: [{ field: 'time', direction: 'DESCENDING' }],
  },
  auditByActorAndTarget: {
    collectionGroup: 'auditEvents',
    equality: ['actorKey', 'target'],
    orderBy: [{ field: 'time', direction: 'DESCENDING' }],
  },
  auditByActionAndTarget: {
    collectionGroup: 'auditEvents',
    equality: ['action', 'target'],
    orderBy: [{ field: 'time', direction: 'DESCENDING' }],
  },
  auditByActorActionAndTarget: {
    collectionGroup: 'auditEvents',
    equality: ['actorKey', 'action', 'target'],
    orderBy: [{ field: 'time', direction: 'DESCENDING' }],
  },
} as const satisfies Record<string, QueryShape>;

export type QueryShapeName = keyof typeof QUERY_SHAPES;

/** Shapes issued since the process started (read by the index test). */
export const issuedQueryShapes = new Set<QueryShapeName>();
