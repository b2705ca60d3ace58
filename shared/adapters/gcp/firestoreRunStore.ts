import { createHash } from 'node:crypto';
import {
  type CollectionReference,
  type DocumentReference,
  FieldValue,
  type Firestore,
  type Query,
  type Timestamp,
} from '@google-cloud/firestore';
import { z } from 'zod';
import { type Execution, Run, StateHistoryEntry } from '../../contracts/run.js';
import { LogEntry, type LogLevel, TaskRun } from '../../contracts/runData.js';
import {
  chooseSlot,
  earliestExpiry,
  isFree,
  type SlotKind,
  type SlotScope,
  type SlotView,
  slotWindow,
  WAIT_RECHECK_MS,
} from '../../domain/concurrency.js';
import { NotFoundError } from '../../domain/errors.js';
import { type Decision, decide, type ProposedState } from '../../domain/orchestration.js';
import { type StateType, TERMINAL_TYPES } from '../../domain/runStates.js';
import { LATE_AFTER_MS } from '../../domain/scheduling.js';
import type { ProposeOptions, ProposeResult, RunStore } from '../../ports/runStore.js';
import type { Page } from '../../ports/workspaceStore.js';
import { issuedQueryShapes, type QueryShapeName } from './firestoreQueries.js';
import { clean, guard, runTransaction } from './firestoreSupport.js';
import { decodePageToken, encodePageToken } from './pageToken.js';

/** A concurrency slot document: who holds it and until when (absent fields = free). */
const SlotDoc = z.object({
  holder: z.string().optional(),
  attempt: z.int().optional(),
  workspace: z.string().optional(),
  leaseUntil: z.string().optional(),
});
type SlotDoc = z.infer<typeof SlotDoc>;

/** Claims tried before a run is treated as not fitting (each lost to a concurrent claim). */
const CLAIM_ROUNDS = 3;

/** How many applied transition ids a run remembers for de-duplication. */
const REMEMBERED_TRANSITIONS = 32;
/** Idempotency keys are honoured for this long (a TTL policy deletes them after). */
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** What the run document holds beyond the API's Run: query fields and bookkeeping. */
export const RunDoc = Run.extend({
  workspace: z.string().optional(),
  stateType: z.string(),
  /** The state's name, for the waiting-runs queries. */
  stateName: z.string().optional(),
  transitionIds: z.array(z.string()),
  stateSeq: z.int(),
  /** When the scheduler's sweep should look at this run if nothing else has (lost tasks). */
  watchdogAt: z.string().optional(),
  /** Set only while SCHEDULED(Scheduled): when the tick marks the run Late (indexed). */
  lateAt: z.string().optional(),
  /** The deployment's priority, recorded while the run waits for a concurrency slot. */
  priority: z.int().optional(),
  /** Paths of the concurrency slot documents this attempt holds (released at a terminal state). */
  heldSlots: z.array(z.string()).optional(),
});
export type RunDoc = z.infer<typeof RunDoc>;

export function toRun(doc: RunDoc): Run {
  const {
    stateType: _s,
    stateName: _n,
    transitionIds: _t,
    stateSeq: _q,
    watchdogAt: _w,
    workspace: _ws,
    lateAt: _l,
    priority: _p,
    heldSlots: _h,
    ...run
  } = doc;
  return Run.parse(run);
}

/** The query fields that follow from a run's state; recomputed on every state change. */
export function stateFields(
  run: Pick<Run, 'state' | 'scheduledTime'>,
): Pick<RunDoc, 'stateType' | 'stateName' | 'lateAt'> {
  const waitingOnTime = run.state.type === 'SCHEDULED' && run.state.name === 'Scheduled';
  return {
    stateType: run.state.type,
    stateName: run.state.name,
    lateAt: waitingOnTime ? new Date(Date.parse(run.scheduledTime) + LATE_AFTER_MS).toISOString() : undefined,
  };
}

/** A new run's document and its first state-history entry. */
export function newRunDocs(ws: string, run: Run): { doc: RunDoc; history: StateHistoryEntry } {
  return {
    doc: {
      ...run,
      workspace: ws,
      ...stateFields(run),
      transitionIds: [],
      stateSeq: 1,
      watchdogAt: new Date(Date.parse(run.scheduledTime) + DISPATCH_WATCHDOG_MS).toISOString(),
    },
    history: { ...run.state, attempt: run.attempt, seq: 1 },
  };
}

/** A run not launched within this long after its scheduled time is looked at by the sweep. */
export const DISPATCH_WATCHDOG_MS = 10 * 60_000;

export class FirestoreRunStore implements RunStore {
  private readonly db: Firestore;
  constructor(opts: { firestore: Firestore }) {
    this.db = opts.firestore;
  }

  private runs(ws: string): CollectionReference {
    return this.db.collection('workspaces').doc(ws).collection('runs');
  }

  createRun(
    ws: string,
    run: Run,
    opts: { idempotencyKey?: string | undefined } = {},
  ): Promise<{ run: Run; created: boolean }> {
    const ref = this.runs(ws).doc(run.id);
    const { doc, history } = newRunDocs(ws, run);
    if (opts.idempotencyKey === undefined) {
      // No read needed: one atomic batch is a single round trip, a transaction two.
      return guard(async () => {
        const batch = this.db.batch();
        batch.create(ref, clean(doc));
        batch.create(ref.collection('states').doc(seqId(1)), clean(history));
        await batch.commit();
        return { run, created: true };
      });
    }
    return guard(() =>
      runTransaction(this.db, async (tx) => {
        if (opts.idempotencyKey !== undefined) {
          const keyRef = this.db
            .collection('workspaces')
            .doc(ws)
            .collection('idempotencyKeys')
            .doc(hashKey(run.deployment, opts.idempotencyKey));
          const existing = await tx.get(keyRef);
          if (existing.exists) {
            const firstId = z.object({ runId: z.string() }).parse(existing.data()).runId;
            const first = await tx.get(this.runs(ws).doc(firstId));
            if (first.exists) return { run: toRun(RunDoc.parse(first.data())), created: false };
          }
          tx.set(keyRef, {
            runId: run.id,
            deployment: run.deployment,
            expireAt: new Date(Date.parse(run.createdAt) + IDEMPOTENCY_TTL_MS),
          });
        }
        tx.create(ref, clean(doc));
        tx.create(ref.collection('states').doc(seqId(1)), clean(history));
        return { run, created: true };
      }),
    );
  }

  getRun(ws: string, id: string): Promise<Run | null> {
    return guard(async () => {
      const snap = await this.runs(ws).doc(id).get();
      return snap.exists ? toRun(RunDoc.parse(snap.data())) : null;
    });
  }

  listRuns(
    ws: string,
    q: {
      deployment?: string | undefined;
      state?: StateType | undefined;
      pageSize: number;
      pageToken?: string | undefined;
    },
  ): Promise<Page<Run>> {
    return guard(async () => {
      let query: Query = this.runs(ws);
      let shape: QueryShapeName | undefined;
      if (q.deployment !== undefined) query = query.where('deployment', '==', q.deployment);
      if (q.state !== undefined) query = query.where('stateType', '==', q.state);
      if (q.deployment !== undefined && q.state !== undefined) shape = 'runsByDeploymentAndState';
      else if (q.deployment !== undefined) shape = 'runsByDeployment';
      else if (q.state !== undefined) shape = 'runsByState';
      if (shape !== undefined) issuedQueryShapes.add(shape);
      // Newest first: run ids sort by creation time. Ordered by the `id` field, not the
      // document key, because Firestore cannot scan keys in descending order.
      query = query.orderBy('id', 'desc').limit(q.pageSize + 1);
      const after = decodePageToken(q.pageToken);
      if (after !== undefined) query = query.startAfter(after);
      const snap = await query.get();
      const items = snap.docs.slice(0, q.pageSize).map((d) => toRun(RunDoc.parse(d.data())));
      const last = items.at(-1);
      return {
        items,
        nextPageToken: snap.docs.length > q.pageSize && last ? encodePageToken(last.id) : undefined,
      };
    });
  }

  async proposeState(
    ws: string,
    id: string,
    proposed: ProposedState,
    opts: ProposeOptions,
  ): Promise<ProposeResult> {
    if (opts.slots === undefined || opts.slots.scopes.length === 0) return this.apply(ws, id, proposed, opts);
    const claim = opts.slots;
    // A claim first reads the slots outside any transaction and then locks only the one
    // slot per limit it chose: transactions that read every slot of a busy pool would
    // all contend on the same documents.
    for (let round = 0; round < CLAIM_ROUNDS; round += 1) {
      const views = await Promise.all(claim.scopes.map((scope) => this.readSlots(ws, scope, claim.random)));
      const chosen = views.map((v) => chooseSlot(v, opts.now, claim.random ?? Math.random()));
      if (chosen.some((c) => c === null)) break;
      const refs = chosen.map((index, i) => this.slotRef(ws, claim.scopes[i] as SlotScope, index as number));
      const result = await this.claim(ws, id, proposed, opts, refs, claim.leaseUntil);
      if (result === 'lost') continue;
      const moreFree = views.every((v, i) =>
        v.some((slot) => slot.index !== chosen[i] && isFree(slot, opts.now)),
      );
      return result.decision.kind === 'accept' && result.decision.applied ? { ...result, moreFree } : result;
    }
    // Full: park the run by the collision strategy, then look once more, so a slot freed
    // between the read above and this write (whose release found no waiter yet) is not missed.
    const views = await Promise.all(claim.scopes.map((scope) => this.readSlots(ws, scope, claim.random)));
    const expiry = views
      .map((v) => (v.length === 0 ? null : earliestExpiry(v)))
      .filter((d): d is Date => d !== null)
      .reduce<number>((min, d) => Math.min(min, d.getTime()), opts.now.getTime() + WAIT_RECHECK_MS);
    const recheckAt = new Date(Math.max(expiry, opts.now.getTime() + 1000));
    const parked = await this.apply(ws, id, claim.whenFull, {
      now: opts.now,
      watchdogAt: claim.whenFull.type === 'SCHEDULED' ? recheckAt : null,
      priority: claim.priority,
    });
    const after = await Promise.all(claim.scopes.map((scope) => this.readSlots(ws, scope, claim.random)));
    const freedMeanwhile = after.every((v) => chooseSlot(v, new Date(), 0) !== null);
    return { ...parked, full: { recheckAt, freedMeanwhile } };
  }

  /**
   * SCHEDULED → PENDING with the chosen slots as one atomic batch with preconditions (the
   * run unchanged since it was read, each slot absent or unchanged since it was seen
   * expired) instead of a transaction: many dispatchers racing for the same few slots
   * then fail fast and look again, rather than queueing on each other's locks.
   * Returns 'lost' when any precondition failed.
   */
  private async claim(
    ws: string,
    id: string,
    proposed: ProposedState,
    opts: ProposeOptions,
    refs: DocumentReference[],
    leaseUntil: Date,
  ): Promise<ProposeResult | 'lost'> {
    const ref = this.runs(ws).doc(id);
    return guard(async () => {
      const [snap, ...slots] = await this.db.getAll(ref, ...refs);
      if (!snap?.exists) throw new NotFoundError(`run ${id}`);
      const doc = RunDoc.parse(snap.data());
      const decision = decide(doc.state, proposed, {
        now: opts.now,
        attempt: doc.attempt,
        scheduledTime: new Date(doc.scheduledTime),
        appliedTransitionIds: doc.transitionIds,
      });
      if (decision.kind !== 'accept' || !decision.applied) return { decision, run: toRun(doc) };
      if (slots.some((s) => s.exists && !isFree(SlotDoc.parse(s.data()), opts.now))) return 'lost';
      const now = opts.now.toISOString();
      const seq = doc.stateSeq + 1;
      const next: RunDoc = {
        ...doc,
        ...(opts.watchdogAt instanceof Date ? { watchdogAt: opts.watchdogAt.toISOString() } : {}),
        state: decision.state,
        ...stateFields({ state: decision.state, scheduledTime: doc.scheduledTime }),
        heldSlots: refs.map((r) => r.path),
        attempt: decision.attempt,
        transitionIds:
          proposed.transitionId === undefined
            ? doc.transitionIds
            : [...doc.transitionIds, proposed.transitionId].slice(-REMEMBERED_TRANSITIONS),
        stateSeq: seq,
        updatedAt: now,
      };
      const batch = this.db.batch();
      const fields = clean(next);
      for (const key of Object.keys(doc)) if (!(key in fields)) fields[key] = FieldValue.delete();
      batch.update(ref, fields, { lastUpdateTime: snap.updateTime as Timestamp });
      slots.forEach((s, i) => {
        const slot: SlotDoc = {
          holder: id,
          attempt: doc.attempt,
          workspace: ws,
          leaseUntil: leaseUntil.toISOString(),
        };
        const slotRef = refs[i] as DocumentReference;
        if (s.exists) batch.update(slotRef, slot, { lastUpdateTime: s.updateTime as Timestamp });
        else batch.create(slotRef, slot);
      });
      batch.create(
        ref.collection('states').doc(seqId(seq)),
        clean({ ...decision.state, attempt: decision.attempt, seq } satisfies StateHistoryEntry),
      );
      try {
        await batch.commit();
      } catch (err) {
        if (isPreconditionFailure(err)) return 'lost';
        throw err;
      }
      return { decision, run: toRun(next) };
    });
  }

  private async apply(
    ws: string,
    id: string,
    proposed: ProposedState,
    opts: ProposeOptions & { priority?: number },
  ): Promise<ProposeResult> {
    const ref = this.runs(ws).doc(id);
    return guard(() =>
      runTransaction(this.db, async (tx): Promise<ProposeResult> => {
        const snap = await tx.get(ref);
        if (!snap.exists) throw new NotFoundError(`run ${id}`);
        const doc = RunDoc.parse(snap.data());
        if (opts.ifStateName !== undefined && doc.state.name !== opts.ifStateName) {
          const reason = `run is ${doc.state.type}(${doc.state.name}), not ${opts.ifStateName}`;
          return {
            decision: { kind: 'reject', current: doc.state, reason } satisfies Decision,
            run: toRun(doc),
          };
        }
        const decision = decide(doc.state, proposed, {
          now: opts.now,
          attempt: doc.attempt,
          scheduledTime: new Date(doc.scheduledTime),
          appliedTransitionIds: doc.transitionIds,
          ...(opts.explicitRetry ? { explicitRetry: true } : {}),
        });
        if (decision.kind !== 'accept' || !decision.applied) {
          // A run parked again keeps its state, but its next look comes from this wait.
          if (
            opts.watchdogAt instanceof Date &&
            decision.kind === 'accept' &&
            doc.stateType === 'SCHEDULED'
          ) {
            tx.update(ref, { watchdogAt: opts.watchdogAt.toISOString() });
          }
          return { decision, run: toRun(doc) };
        }
        const terminal = TERMINAL_TYPES.has(decision.state.type);

        // Reads first (Firestore transactions read before they write): the slots a terminal
        // transition releases.
        let held = doc.heldSlots;
        let releasedSlots = 0;
        const releasedKinds = new Set<SlotKind>();
        if (terminal && doc.heldSlots !== undefined && doc.heldSlots.length > 0) {
          const refs = doc.heldSlots.map((p) => this.db.doc(p));
          const slots = await tx.getAll(...refs);
          slots.forEach((s, i) => {
            const slot = SlotDoc.parse(s.data() ?? {});
            if (slot.holder === id && slot.attempt === doc.attempt) {
              tx.delete(refs[i] as DocumentReference);
              releasedSlots += 1;
              releasedKinds.add(refs[i]?.path.includes('/workPools/') ? 'pool' : 'deployment');
            }
          });
          held = undefined;
        }

        const extra = opts.onAccept ? opts.onAccept(toRun(doc), decision) : {};
        const now = opts.now.toISOString();
        const seq = doc.stateSeq + 1;
        const transitionIds =
          proposed.transitionId === undefined
            ? doc.transitionIds
            : [...doc.transitionIds, proposed.transitionId].slice(-REMEMBERED_TRANSITIONS);
        const timing: Partial<Run> = {};
        if (decision.state.type === 'RUNNING' && doc.startTime === undefined) timing.startTime = now;
        if (terminal) timing.endTime = now;
        const next: RunDoc = {
          ...doc,
          ...timing,
          ...extra,
          ...(opts.watchdogAt === undefined
            ? {}
            : { watchdogAt: opts.watchdogAt === null ? undefined : opts.watchdogAt.toISOString() }),
          state: decision.state,
          ...stateFields({ state: decision.state, scheduledTime: extra.scheduledTime ?? doc.scheduledTime }),
          ...(opts.priority === undefined ? {} : { priority: opts.priority }),
          heldSlots: held,
          attempt: decision.attempt,
          transitionIds,
          stateSeq: seq,
          updatedAt: now,
        };
        tx.set(ref, clean(next));
        tx.create(
          ref.collection('states').doc(seqId(seq)),
          clean({ ...decision.state, attempt: decision.attempt, seq } satisfies StateHistoryEntry),
        );
        return {
          decision,
          run: toRun(next),
          ...(releasedSlots > 0 ? { releasedSlots, releasedKinds: [...releasedKinds] } : {}),
        };
      }),
    );
  }

  private slotRef(ws: string, scope: SlotScope, index: number): DocumentReference {
    const parent = scope.kind === 'pool' ? 'workPools' : 'deployments';
    return this.db
      .collection('workspaces')
      .doc(ws)
      .collection(parent)
      .doc(scope.name)
      .collection('slots')
      .doc(String(index));
  }

  private async readSlots(ws: string, scope: SlotScope, random: number | undefined): Promise<SlotView[]> {
    const indices = slotWindow(scope.limit, random ?? Math.random());
    if (indices.length === 0) return [];
    const snaps = await guard(() => this.db.getAll(...indices.map((i) => this.slotRef(ws, scope, i))));
    return snaps.map((s, i) => ({ index: indices[i] as number, ...SlotDoc.parse(s.data() ?? {}) }));
  }

  renewSlots(ws: string, id: string, attempt: number, leaseUntil: Date): Promise<number> {
    const ref = this.runs(ws).doc(id);
    return guard(() =>
      runTransaction(this.db, async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) return 0;
        const doc = RunDoc.parse(snap.data());
        if (doc.attempt !== attempt || doc.heldSlots === undefined || doc.heldSlots.length === 0) return 0;
        const refs = doc.heldSlots.map((p) => this.db.doc(p));
        const slots = await tx.getAll(...refs);
        let renewed = 0;
        slots.forEach((s, i) => {
          const slot = SlotDoc.parse(s.data() ?? {});
          // A slot whose lease ran out and was taken by another run stays theirs.
          if (slot.holder !== id || slot.attempt !== attempt) return;
          tx.update(refs[i] as DocumentReference, { leaseUntil: leaseUntil.toISOString() });
          renewed += 1;
        });
        return renewed;
      }),
    );
  }

  listWaiting(
    ws: string,
    scope: { workPool: string } | { deployment: string },
    limit: number,
  ): Promise<Run[]> {
    return guard(async () => {
      let query: Query = this.runs(ws).where('stateName', '==', 'AwaitingConcurrencySlot');
      if ('workPool' in scope) {
        issuedQueryShapes.add('waitingInPool');
        query = query.where('workPool', '==', scope.workPool).orderBy('priority', 'desc');
      } else {
        issuedQueryShapes.add('waitingInDeployment');
        query = query.where('deployment', '==', scope.deployment);
      }
      const snap = await query.orderBy('scheduledTime').limit(limit).get();
      return snap.docs.map((d) => toRun(RunDoc.parse(d.data())));
    });
  }

  recordExecution(ws: string, id: string, execution: Execution, watchdogAt: Date): Promise<Run> {
    const ref = this.runs(ws).doc(id);
    return guard(() =>
      runTransaction(this.db, async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) throw new NotFoundError(`run ${id}`);
        const doc = RunDoc.parse(snap.data());
        if (doc.execution !== undefined || doc.attempt !== execution.attempt) return toRun(doc);
        const next: RunDoc = {
          ...doc,
          execution,
          watchdogAt: watchdogAt.toISOString(),
          updatedAt: execution.launchedAt,
        };
        tx.set(ref, clean(next));
        return toRun(next);
      }),
    );
  }

  setWatchdog(ws: string, id: string, at: Date | null): Promise<void> {
    return guard(async () => {
      await this.runs(ws)
        .doc(id)
        .update({ watchdogAt: at === null ? FieldValue.delete() : at.toISOString() });
    });
  }

  listOverdue(now: Date, limit: number): Promise<{ workspace: string; run: Run }[]> {
    return guard(async () => {
      issuedQueryShapes.add('overdueRuns');
      const snap = await this.db
        .collectionGroup('runs')
        .where('watchdogAt', '<=', now.toISOString())
        .orderBy('watchdogAt')
        .limit(limit)
        .get();
      return snap.docs.map((d) => {
        const doc = RunDoc.parse(d.data());
        const workspace = doc.workspace ?? (d.ref.parent.parent?.id as string);
        return { workspace, run: toRun(doc) };
      });
    });
  }

  listLate(now: Date, limit: number): Promise<{ workspace: string; run: Run }[]> {
    return guard(async () => {
      issuedQueryShapes.add('lateRuns');
      const snap = await this.db
        .collectionGroup('runs')
        .where('lateAt', '<=', now.toISOString())
        .orderBy('lateAt')
        .limit(limit)
        .get();
      return snap.docs.map((d) => {
        const doc = RunDoc.parse(d.data());
        return { workspace: doc.workspace ?? (d.ref.parent.parent?.id as string), run: toRun(doc) };
      });
    });
  }

  listStates(ws: string, id: string): Promise<StateHistoryEntry[]> {
    return guard(async () => {
      const snap = await this.runs(ws).doc(id).collection('states').orderBy('__name__').get();
      return snap.docs.map((d) => StateHistoryEntry.parse(d.data()));
    });
  }

  appendLogs(ws: string, id: string, logs: LogEntry[]): Promise<void> {
    return guard(async () => {
      const col = this.runs(ws).doc(id).collection('logs');
      // Batches of up to 500 writes: Firestore's per-commit limit.
      for (let i = 0; i < logs.length; i += 500) {
        const batch = this.db.batch();
        for (const log of logs.slice(i, i + 500)) batch.create(col.doc(log.id), clean(log));
        await batch.commit();
      }
    });
  }

  listLogs(
    ws: string,
    id: string,
    q: { level?: LogLevel | undefined; pageSize: number; pageToken?: string | undefined },
  ): Promise<Page<LogEntry>> {
    return guard(async () => {
      const col = this.runs(ws).doc(id).collection('logs');
      let query: Query = col;
      if (q.level !== undefined) {
        query = query.where('level', '==', q.level);
        issuedQueryShapes.add('logsByLevel');
      }
      query = query.orderBy('__name__').limit(q.pageSize + 1);
      const after = decodePageToken(q.pageToken);
      if (after !== undefined) query = query.startAfter(col.doc(after));
      const snap = await query.get();
      const items = snap.docs.slice(0, q.pageSize).map((d) => LogEntry.parse(d.data()));
      const last = items.at(-1);
      return {
        items,
        nextPageToken: snap.docs.length > q.pageSize && last ? encodePageToken(last.id) : undefined,
      };
    });
  }

  upsertTaskRun(ws: string, id: string, taskRun: TaskRun): Promise<TaskRun> {
    const ref = this.runs(ws).doc(id).collection('taskRuns').doc(taskRun.id);
    return guard(() =>
      runTransaction(this.db, async (tx) => {
        const snap = await tx.get(ref);
        const merged: TaskRun = snap.exists ? mergeTaskRun(TaskRun.parse(snap.data()), taskRun) : taskRun;
        tx.set(ref, clean(merged));
        return merged;
      }),
    );
  }

  listTaskRuns(ws: string, id: string): Promise<TaskRun[]> {
    return guard(async () => {
      const snap = await this.runs(ws).doc(id).collection('taskRuns').orderBy('__name__').get();
      return snap.docs.map((d) => TaskRun.parse(d.data()));
    });
  }
}

/** A later report of the same task run fills in what the earlier one lacked. */
function mergeTaskRun(prev: TaskRun, next: TaskRun): TaskRun {
  return {
    ...prev,
    ...next,
    startTime: prev.startTime ?? next.startTime,
    parameterNames: [...new Set([...prev.parameterNames, ...next.parameterNames])],
  };
}

/** FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS, NOT_FOUND: someone else wrote first. */
function isPreconditionFailure(err: unknown): boolean {
  const code =
    typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : undefined;
  return code === 9 || code === 10 || code === 6 || code === 5;
}

export function seqId(seq: number): string {
  return String(seq).padStart(6, '0');
}

function hashKey(deployment: string, key: string): string {
  return createHash('sha256').update(`${deployment}\0${key}`).digest('hex');
}
