import type { Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { SealedSecret } from '../../contracts/sealedSecret.js';
import { NotFoundError } from '../../domain/errors.js';
import { clean, createDoc, deleteDoc, getDoc, guard, runTransaction } from './firestoreSupport.js';

/**
 * A collection of named objects that each hold public metadata beside a sealed
 * (envelope-encrypted) value: credentials and secrets. Documents are
 * `{[metaKey]: metadata, sealed?: SealedSecret}` under workspaces/{ws}/{collection};
 * listings select the metadata only, so a sealed value never leaves Firestore
 * for a list.
 */
export class FirestoreSealedStore<M extends { name: string }> {
  private readonly doc: z.ZodType<{ meta: M; sealed?: SealedSecret | undefined }>;

  constructor(
    private readonly opts: {
      firestore: Firestore;
      collection: string;
      metaKey: string;
      meta: z.ZodType<M>;
      /** What the object is called in errors ("credential", "secret"). */
      noun: string;
    },
  ) {
    // Read back in two parts: the metadata under its key, the sealed value beside it.
    this.doc = z.record(z.string(), z.unknown()).transform((d) => ({
      meta: opts.meta.parse(d[opts.metaKey]),
      sealed: SealedSecret.optional().parse(d.sealed),
    }));
  }

  private col(ws: string) {
    return this.opts.firestore.collection('workspaces').doc(ws).collection(this.opts.collection);
  }

  create(ws: string, meta: M, sealed: SealedSecret | undefined): Promise<void> {
    const doc = { [this.opts.metaKey]: meta, ...(sealed === undefined ? {} : { sealed }) };
    return createDoc(this.col(ws).doc(meta.name), doc, `${this.opts.noun} ${meta.name}`);
  }

  get(ws: string, name: string): Promise<{ meta: M; sealed?: SealedSecret | undefined } | null> {
    return getDoc(this.col(ws).doc(name), this.doc);
  }

  list(ws: string): Promise<M[]> {
    return guard(async () => {
      const snap = await this.col(ws).select(this.opts.metaKey).orderBy('__name__').limit(1000).get();
      return snap.docs.map((d) => this.opts.meta.parse(d.get(this.opts.metaKey)));
    });
  }

  /** Applies `patch` in a transaction; a returned sealed value replaces the stored one. */
  update(
    ws: string,
    name: string,
    patch: (current: M) => { meta: M; sealed?: SealedSecret | undefined },
  ): Promise<M> {
    const ref = this.col(ws).doc(name);
    return guard(() =>
      runTransaction(this.opts.firestore, async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) throw new NotFoundError(`${this.opts.noun} ${name}`);
        const next = patch(this.doc.parse(snap.data()).meta);
        tx.update(ref, {
          [this.opts.metaKey]: clean(next.meta),
          ...(next.sealed === undefined ? {} : { sealed: clean(next.sealed) }),
        });
        return next.meta;
      }),
    );
  }

  delete(ws: string, name: string): Promise<void> {
    return deleteDoc(this.col(ws).doc(name), `${this.opts.noun} ${name}`);
  }
}
