import type { CollectionReference, Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { Deployment } from '../../contracts/deployment.js';
import { ApiKeyMetadata, Member, ServiceAccount } from '../../contracts/principal.js';
import { WorkPool } from '../../contracts/workPool.js';
import { Workspace } from '../../contracts/workspace.js';
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '../../domain/errors.js';
import type { ApiKeyRecord, Page, WorkspaceStore } from '../../ports/workspaceStore.js';
import {
  clean,
  createDoc,
  deleteDoc,
  getDoc,
  guard,
  isAlreadyExists,
  runTransaction,
  updateDoc,
} from './firestoreSupport.js';
import { decodePageToken, encodePageToken } from './pageToken.js';

const ApiKeyDoc = ApiKeyMetadata.extend({
  principalKind: z.enum(['member', 'service_account']),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

/** Firestore drops `undefined`; strip it so documents round-trip through zod. */

export class FirestoreWorkspaceStore implements WorkspaceStore {
  private readonly db: Firestore;
  constructor(opts: { firestore: Firestore }) {
    this.db = opts.firestore;
  }

  private ws(ws: string) {
    return this.db.collection('workspaces').doc(ws);
  }
  private col(ws: string, name: string): CollectionReference {
    return this.ws(ws).collection(name);
  }

  createWorkspace(input: { workspace: Workspace; owner: Member; ownerKey: ApiKeyRecord }): Promise<void> {
    const { workspace, owner, ownerKey } = input;
    return guard(async () => {
      try {
        const batch = this.db.batch();
        batch.create(this.ws(workspace.name), clean(workspace));
        batch.create(this.col(workspace.name, 'members').doc(owner.id), clean(owner));
        batch.create(this.col(workspace.name, 'apiKeys').doc(ownerKey.id), clean(ownerKey));
        await batch.commit();
      } catch (err) {
        if (isAlreadyExists(err)) throw new AlreadyExistsError(`workspace ${workspace.name}`);
        throw err;
      }
    });
  }

  getWorkspace(ws: string): Promise<Workspace | null> {
    return guard(async () => {
      const snap = await this.ws(ws).get();
      return snap.exists ? Workspace.parse(snap.data()) : null;
    });
  }

  updateWorkspace(ws: string, patch: (current: Workspace) => Workspace): Promise<Workspace> {
    return updateDoc(this.db, this.ws(ws), Workspace, patch, `workspace ${ws}`);
  }

  deleteWorkspace(ws: string): Promise<void> {
    // recursiveDelete walks every subcollection (runs, logs, keys, …) in batches.
    return guard(() => this.db.recursiveDelete(this.ws(ws)));
  }

  createMember(ws: string, member: Member): Promise<void> {
    return createDoc(this.col(ws, 'members').doc(member.id), member, `member ${member.email}`);
  }
  getMember(ws: string, id: string): Promise<Member | null> {
    return getDoc(this.col(ws, 'members').doc(id), Member);
  }
  findMemberByEmail(ws: string, email: string): Promise<Member | null> {
    return guard(async () => {
      const snap = await this.col(ws, 'members').where('email', '==', email).limit(1).get();
      const doc = snap.docs[0];
      return doc ? Member.parse(doc.data()) : null;
    });
  }
  listMembers(ws: string, page: { pageSize: number; pageToken?: string | undefined }): Promise<Page<Member>> {
    return this.list(this.col(ws, 'members'), Member, page, (m) => m.id);
  }
  deleteMember(ws: string, id: string): Promise<void> {
    return deleteDoc(this.col(ws, 'members').doc(id), `member ${id}`);
  }

  createServiceAccount(ws: string, sa: ServiceAccount): Promise<void> {
    return createDoc(this.col(ws, 'serviceAccounts').doc(sa.name), sa, `service account ${sa.name}`);
  }
  getServiceAccount(ws: string, name: string): Promise<ServiceAccount | null> {
    return getDoc(this.col(ws, 'serviceAccounts').doc(name), ServiceAccount);
  }
  listServiceAccounts(
    ws: string,
    page: { pageSize: number; pageToken?: string | undefined },
  ): Promise<Page<ServiceAccount>> {
    return this.list(this.col(ws, 'serviceAccounts'), ServiceAccount, page, (s) => s.name);
  }
  deleteServiceAccount(ws: string, name: string): Promise<void> {
    return deleteDoc(this.col(ws, 'serviceAccounts').doc(name), `service account ${name}`);
  }

  createApiKey(ws: string, key: ApiKeyRecord): Promise<void> {
    return createDoc(this.col(ws, 'apiKeys').doc(key.id), key, 'api key');
  }
  getApiKey(ws: string, keyId: string): Promise<ApiKeyRecord | null> {
    return getDoc(this.col(ws, 'apiKeys').doc(keyId), ApiKeyDoc);
  }
  listApiKeys(ws: string, principalId: string): Promise<ApiKeyRecord[]> {
    return guard(async () => {
      const snap = await this.col(ws, 'apiKeys').where('principal', '==', principalId).get();
      return snap.docs.map((d) => ApiKeyDoc.parse(d.data()));
    });
  }
  revokeApiKey(ws: string, keyId: string, at: string): Promise<ApiKeyRecord> {
    return updateDoc(
      this.db,
      this.col(ws, 'apiKeys').doc(keyId),
      ApiKeyDoc,
      (k) => (k.revokedAt ? k : { ...k, revokedAt: at }),
      `api key ${keyId}`,
    );
  }
  revokeApiKeysOf(ws: string, principalId: string, at: string): Promise<number> {
    return guard(async () => {
      const snap = await this.col(ws, 'apiKeys').where('principal', '==', principalId).get();
      const live = snap.docs.filter((d) => d.get('revokedAt') === undefined);
      const writer = this.db.bulkWriter();
      for (const d of live) void writer.update(d.ref, { revokedAt: at });
      await writer.close();
      return live.length;
    });
  }
  touchApiKey(ws: string, keyId: string, at: string): Promise<void> {
    return guard(async () => {
      await this.col(ws, 'apiKeys').doc(keyId).update({ lastUsedAt: at });
    });
  }

  createWorkPool(ws: string, pool: WorkPool): Promise<void> {
    return createDoc(this.col(ws, 'workPools').doc(pool.name), pool, `work pool ${pool.name}`);
  }
  getWorkPool(ws: string, name: string): Promise<WorkPool | null> {
    return getDoc(this.col(ws, 'workPools').doc(name), WorkPool);
  }
  listWorkPools(
    ws: string,
    page: { pageSize: number; pageToken?: string | undefined },
  ): Promise<Page<WorkPool>> {
    return this.list(this.col(ws, 'workPools'), WorkPool, page, (p) => p.name);
  }
  updateWorkPool(ws: string, name: string, patch: (current: WorkPool) => WorkPool): Promise<WorkPool> {
    return updateDoc(this.db, this.col(ws, 'workPools').doc(name), WorkPool, patch, `work pool ${name}`);
  }
  deleteWorkPool(ws: string, name: string): Promise<void> {
    return guard(async () => {
      await runTransaction(this.db, async (tx) => {
        const ref = this.col(ws, 'workPools').doc(name);
        const [pool, users] = await Promise.all([
          tx.get(ref),
          tx.get(this.col(ws, 'deployments').where('workPool', '==', name).limit(1)),
        ]);
        if (!pool.exists) throw new NotFoundError(`work pool ${name}`);
        if (!users.empty) {
          throw new FailedPreconditionError(`work pool ${name} is used by deployment ${users.docs[0]?.id}`);
        }
        tx.delete(ref);
      });
    });
  }

  createDeployment(ws: string, deployment: Deployment): Promise<void> {
    return createDoc(
      this.col(ws, 'deployments').doc(deployment.name),
      deployment,
      `deployment ${deployment.name}`,
    );
  }
  getDeployment(ws: string, name: string): Promise<Deployment | null> {
    return getDoc(this.col(ws, 'deployments').doc(name), Deployment);
  }
  listDeployments(
    ws: string,
    page: { pageSize: number; pageToken?: string | undefined },
  ): Promise<Page<Deployment>> {
    return this.list(this.col(ws, 'deployments'), Deployment, page, (d) => d.name);
  }
  updateDeployment(
    ws: string,
    name: string,
    patch: (current: Deployment) => Deployment,
  ): Promise<Deployment> {
    return updateDoc(this.db, this.col(ws, 'deployments').doc(name), Deployment, patch, `deployment ${name}`);
  }
  deleteDeployment(ws: string, name: string): Promise<void> {
    return deleteDoc(this.col(ws, 'deployments').doc(name), `deployment ${name}`);
  }

  private list<T>(
    col: CollectionReference,
    schema: z.ZodType<T>,
    page: { pageSize: number; pageToken?: string | undefined },
    idOf: (item: T) => string,
  ): Promise<Page<T>> {
    return guard(async () => {
      let q = col.orderBy('__name__').limit(page.pageSize + 1);
      const after = decodePageToken(page.pageToken);
      if (after !== undefined) q = q.startAfter(after);
      const snap = await q.get();
      const items = snap.docs.slice(0, page.pageSize).map((d) => schema.parse(d.data()));
      const last = items.at(-1);
      return {
        items,
        nextPageToken:
          snap.docs.length > page.pageSize && last !== undefined ? encodePageToken(idOf(last)) : undefined,
      };
    });
  }
}
