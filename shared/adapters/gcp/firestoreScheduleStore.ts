import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import { Deployment } from '../../contracts/deployment.js';
import type { Run } from '../../contracts/run.js';
import { NotFoundError } from '../../domain/errors.js';
import type {
  DeploymentEdit,
  DueDeployment,
  Materialization,
  ScheduleStore,
} from '../../ports/scheduleStore.js';
import { issuedQueryShapes } from './firestoreQueries.js';
import { newRunDocs, RunDoc, seqId, toRun } from './firestoreRunStore.js';
import { clean, guard, runTransaction } from './firestoreSupport.js';

/**
 * At most this many future runs are deleted by one edit transaction (two writes each,
 * under Firestore's 500 per commit). A denser calendar's leftovers are cancelled by the
 * dispatcher when their schedule is gone, or kept (same id) when it still exists.
 */
const MAX_REMOVED_PER_EDIT = 200;

export class FirestoreScheduleStore implements ScheduleStore {
  private readonly db: Firestore;
  constructor(opts: { firestore: Firestore }) {
    this.db = opts.firestore;
  }

  private deploymentRef(ws: string, name: string): DocumentReference {
    return this.db.collection('workspaces').doc(ws).collection('deployments').doc(name);
  }
  private runRef(ws: string, id: string): DocumentReference {
    return this.db.collection('workspaces').doc(ws).collection('runs').doc(id);
  }

  listDue(at: Date, limit: number): Promise<DueDeployment[]> {
    return guard(async () => {
      issuedQueryShapes.add('dueDeployments');
      // Only the document names are needed here; each deployment is read again in its transaction.
      const snap = await this.db
        .collectionGroup('deployments')
        .where('nextMaterializeAt', '<=', at.toISOString())
        .orderBy('nextMaterializeAt')
        .limit(limit)
        .select()
        .get();
      return snap.docs.map((d) => ({ workspace: d.ref.parent.parent?.id as string, name: d.id }));
    });
  }

  materialize(
    ws: string,
    name: string,
    plan: (current: Deployment) => Materialization | null,
  ): Promise<{ deployment: Deployment; created: Run[] } | null> {
    const ref = this.deploymentRef(ws, name);
    return guard(() =>
      runTransaction(this.db, async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) return null;
        const planned = plan(Deployment.parse(snap.data()));
        if (planned === null) return null;
        const refs = planned.runs.map((r) => this.runRef(ws, r.id));
        const existing = refs.length === 0 ? [] : await tx.getAll(...refs);
        const created: Run[] = [];
        planned.runs.forEach((run, i) => {
          if (existing[i]?.exists) return;
          const runRef = refs[i] as DocumentReference;
          const { doc, history } = newRunDocs(ws, run);
          tx.create(runRef, clean(doc));
          tx.create(runRef.collection('states').doc(seqId(1)), clean(history));
          created.push(run);
        });
        tx.set(ref, clean(planned.deployment));
        return { deployment: planned.deployment, created };
      }),
    );
  }

  editDeployment(
    ws: string,
    name: string,
    edit: (current: Deployment) => DeploymentEdit,
  ): Promise<{ deployment: Deployment | null; removed: Run[] }> {
    const ref = this.deploymentRef(ws, name);
    return guard(() =>
      runTransaction(this.db, async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) throw new NotFoundError(`deployment ${name}`);
        const { next, removeScheduledAfter } = edit(Deployment.parse(snap.data()));
        const removed: Run[] = [];
        if (removeScheduledAfter !== undefined) {
          issuedQueryShapes.add('futureScheduledRuns');
          // Read inside the transaction: a tick that made runs for this deployment has
          // either committed (they are found here) or will retry after this commit (it
          // then reads the new cursor and version).
          const future = await tx.get(
            this.db
              .collection('workspaces')
              .doc(ws)
              .collection('runs')
              .where('deployment', '==', name)
              .where('stateType', '==', 'SCHEDULED')
              .where('scheduledTime', '>', removeScheduledAfter.toISOString())
              .orderBy('scheduledTime')
              .limit(MAX_REMOVED_PER_EDIT),
          );
          for (const d of future.docs) {
            const doc = RunDoc.parse(d.data());
            if (doc.scheduleId === undefined || doc.attempt !== 1 || doc.state.name !== 'Scheduled') continue;
            for (let seq = 1; seq <= doc.stateSeq; seq += 1)
              tx.delete(d.ref.collection('states').doc(seqId(seq)));
            tx.delete(d.ref);
            removed.push(toRun(doc));
          }
        }
        if (next === null) tx.delete(ref);
        else tx.set(ref, clean(next));
        return { deployment: next, removed };
      }),
    );
  }
}
