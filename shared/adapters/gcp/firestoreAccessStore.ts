import type { CollectionReference, Firestore, Query } from '@google-cloud/firestore';
import { z } from 'zod';
import { AuditEvent, Role, Team } from '../../contracts/access.js';
import { ApiKeyMetadata, Member, ServiceAccount } from '../../contracts/principal.js';
import { FailedPreconditionError, NotFoundError } from '../../domain/errors.js';
import type { AccessStore, AuditQuery, ScimTokenRecord } from '../../ports/accessStore.js';
import type { ApiKeyRecord, Page } from '../../ports/workspaceStore.js';
import { issuedQueryShapes, type QueryShapeName } from './firestoreQueries.js';
import { clean, createDoc, getDoc, guard, runTransaction, updateDoc } from './firestoreSupport.js';
import { decodePageToken, encodePageToken } from './pageToken.js';

const StoredApiKey = ApiKeyMetadata.extend({
  principalKind: z.enum(['member', 'service_account']),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

const ScimTokenDoc = z.object({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  createdBy: z.string(),
});

/** Audit shape names by which equality filters are present (actor, action, target). */
const AUDIT_SHAPES: Record<string, QueryShapeName> = {
  '100': 'auditByActor',
  '010': 'auditByAction',
  '001': 'auditByTarget',
  '110': 'auditByActorAndAction',
  '101': 'auditByActorAndTarget',
  '011': 'auditByActionAndTarget',
  '111': 'auditByActorActionAndTarget',
};

export class FirestoreAccessStore implements AccessStore {
  private readonly db: Firestore;
  constructor(opts: { firestore: Firestore }) {
    this.db = opts.firestore;
  }

  private col(ws: string, name: string): CollectionReference {
    return this.db.collection('workspaces').doc(ws).collection(name);
  }

  createRole(ws: string, role: Role): Promise<void> {
    return createDoc(this.col(ws, 'roles').doc(role.name), role, `role ${role.name}`);
  }
  getRole(ws: string, name: string): Promise<Role | null> {
    return getDoc(this.col(ws, 'roles').doc(name), Role);
  }
  getRoles(ws: string, names: string[]): Promise<Role[]> {
    if (names.length === 0) return Promise.resolve([]);
    return guard(async () => {
      const snaps = await this.db.getAll(...names.map((n) => this.col(ws, 'roles').doc(n)));
      return snaps.filter((s) => s.exists).map((s) => Role.parse(s.data()));
    });
  }
  listRoles(ws: string): Promise<Role[]> {
    return guard(async () => {
      const snap = await this.col(ws, 'roles').orderBy('__name__').limit(500).get();
      return snap.docs.map((d) => Role.parse(d.data()));
    });
  }
  updateRole(ws: string, name: string, patch: (current: Role) => Role): Promise<Role> {
    return updateDoc(this.db, this.col(ws, 'roles').doc(name), Role, patch, `role ${name}`);
  }
  deleteRole(ws: string, name: string): Promise<void> {
    return guard(() =>
      runTransaction(this.db, async (tx) => {
        const ref = this.col(ws, 'roles').doc(name);
        const [role, members, sas, teams] = await Promise.all([
          tx.get(ref),
          tx.get(this.col(ws, 'members').where('role', '==', name).limit(1)),
          tx.get(this.col(ws, 'serviceAccounts').where('role', '==', name).limit(1)),
          tx.get(this.col(ws, 'teams').where('roles', 'array-contains', name).limit(1)),
        ]);
        if (!role.exists) throw new NotFoundError(`role ${name}`);
        if (!members.empty || !sas.empty || !teams.empty) {
          throw new FailedPreconditionError(`role ${name} is still assigned; reassign its holders first`);
        }
        tx.delete(ref);
      }),
    );
  }

  createTeam(ws: string, team: Team): Promise<void> {
    return createDoc(this.col(ws, 'teams').doc(team.id), team, `team ${team.name}`);
  }
  getTeam(ws: string, id: string): Promise<Team | null> {
    return getDoc(this.col(ws, 'teams').doc(id), Team);
  }
  findTeamByName(ws: string, name: string): Promise<Team | null> {
    return this.findOne(this.col(ws, 'teams').where('name', '==', name), Team);
  }
  findTeamByExternalId(ws: string, externalId: string): Promise<Team | null> {
    return this.findOne(this.col(ws, 'teams').where('externalId', '==', externalId), Team);
  }
  listTeams(ws: string, page: { offset: number; limit: number }): Promise<{ items: Team[]; total: number }> {
    return this.offsetPage(this.col(ws, 'teams'), Team, page);
  }
  teamsOf(ws: string, principalKey: string): Promise<Team[]> {
    return guard(async () => {
      const snap = await this.col(ws, 'teams')
        .where('members', 'array-contains', principalKey)
        .limit(100)
        .get();
      return snap.docs.map((d) => Team.parse(d.data()));
    });
  }
  updateTeam(ws: string, id: string, patch: (current: Team) => Team): Promise<Team> {
    return updateDoc(this.db, this.col(ws, 'teams').doc(id), Team, patch, `team ${id}`);
  }
  deleteTeam(ws: string, id: string): Promise<void> {
    return guard(async () => {
      try {
        await this.col(ws, 'teams').doc(id).delete({ exists: true });
      } catch (err) {
        if ((err as { code?: unknown }).code === 5) throw new NotFoundError(`team ${id}`);
        throw err;
      }
    });
  }
  removeFromAllTeams(ws: string, principalKey: string): Promise<void> {
    return guard(async () => {
      const teams = await this.teamsOf(ws, principalKey);
      await Promise.all(
        teams.map((t) =>
          this.updateTeam(ws, t.id, (cur) => ({
            ...cur,
            members: cur.members.filter((m) => m !== principalKey),
          })),
        ),
      );
    });
  }

  updateMember(ws: string, id: string, patch: (current: Member) => Member): Promise<Member> {
    return updateDoc(this.db, this.col(ws, 'members').doc(id), Member, patch, `member ${id}`);
  }
  findMemberByExternalId(ws: string, externalId: string): Promise<Member | null> {
    return this.findOne(this.col(ws, 'members').where('externalId', '==', externalId), Member);
  }
  findMemberByUserName(ws: string, userName: string): Promise<Member | null> {
    return this.findOne(this.col(ws, 'members').where('userName', '==', userName), Member);
  }
  listMembersPage(
    ws: string,
    page: { offset: number; limit: number },
  ): Promise<{ items: Member[]; total: number }> {
    return this.offsetPage(this.col(ws, 'members'), Member, page);
  }
  countActiveOwners(ws: string): Promise<number> {
    return guard(async () => {
      const agg = await this.col(ws, 'members')
        .where('role', '==', 'owner')
        .where('active', '==', true)
        .count()
        .get();
      return agg.data().count;
    });
  }
  updateServiceAccount(
    ws: string,
    name: string,
    patch: (current: ServiceAccount) => ServiceAccount,
  ): Promise<ServiceAccount> {
    return updateDoc(
      this.db,
      this.col(ws, 'serviceAccounts').doc(name),
      ServiceAccount,
      patch,
      `service account ${name}`,
    );
  }
  updateApiKey(
    ws: string,
    keyId: string,
    patch: (current: ApiKeyRecord) => ApiKeyRecord,
  ): Promise<ApiKeyRecord> {
    return updateDoc(this.db, this.col(ws, 'apiKeys').doc(keyId), StoredApiKey, patch, `api key ${keyId}`);
  }

  getScimToken(ws: string): Promise<ScimTokenRecord | null> {
    return getDoc(this.col(ws, 'scim').doc('token'), ScimTokenDoc);
  }
  setScimToken(ws: string, token: ScimTokenRecord): Promise<void> {
    return guard(async () => {
      await this.col(ws, 'scim').doc('token').set(clean(token));
    });
  }

  appendAuditEvent(ws: string, event: AuditEvent, expireAt: Date): Promise<void> {
    return guard(async () => {
      // create(), not set(): an event id is never written twice, so nothing can overwrite history.
      await this.col(ws, 'auditEvents')
        .doc(event.id)
        .create({ ...clean(event), expireAt });
    });
  }
  listAuditEvents(ws: string, q: AuditQuery): Promise<Page<AuditEvent>> {
    return guard(async () => {
      let query: Query = this.col(ws, 'auditEvents');
      if (q.actorKey !== undefined) query = query.where('actorKey', '==', q.actorKey);
      if (q.action !== undefined) query = query.where('action', '==', q.action);
      if (q.target !== undefined) query = query.where('target', '==', q.target);
      if (q.from !== undefined) query = query.where('time', '>=', q.from);
      if (q.to !== undefined) query = query.where('time', '<', q.to);
      const key = `${q.actorKey === undefined ? 0 : 1}${q.action === undefined ? 0 : 1}${q.target === undefined ? 0 : 1}`;
      const shape = AUDIT_SHAPES[key];
      if (shape !== undefined) issuedQueryShapes.add(shape);
      query = query.orderBy('time', 'desc').orderBy('__name__', 'desc');
      const after = decodePageToken(q.pageToken);
      if (after !== undefined) {
        const [time, id] = JSON.parse(after) as [string, string];
        query = query.startAfter(time, id);
      }
      const snap = await query.limit(q.pageSize + 1).get();
      const items = snap.docs.slice(0, q.pageSize).map((d) => {
        const { expireAt: _e, ...rest } = d.data();
        return AuditEvent.parse(rest);
      });
      const last = items.at(-1);
      return {
        items,
        nextPageToken:
          snap.docs.length > q.pageSize && last !== undefined
            ? encodePageToken(JSON.stringify([last.time, last.id]))
            : undefined,
      };
    });
  }

  private findOne<T>(q: Query, schema: z.ZodType<T>): Promise<T | null> {
    return guard(async () => {
      const snap = await q.limit(1).get();
      const doc = snap.docs[0];
      return doc ? schema.parse(doc.data()) : null;
    });
  }
  /** SCIM pages by index (startIndex/count), so these lists use offsets and report a total. */
  private offsetPage<T>(
    col: CollectionReference,
    schema: z.ZodType<T>,
    page: { offset: number; limit: number },
  ): Promise<{ items: T[]; total: number }> {
    return guard(async () => {
      const [agg, snap] = await Promise.all([
        col.count().get(),
        page.limit === 0
          ? Promise.resolve(null)
          : col.orderBy('__name__').offset(page.offset).limit(page.limit).get(),
      ]);
      return { items: snap ? snap.docs.map((d) => schema.parse(d.data())) : [], total: agg.data().count };
    });
  }
}
