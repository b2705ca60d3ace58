/**
 * Concurrency limits as leased slots. Pure: the adapter reads slot documents and asks
 * these functions which one to take; `now` and `random` are inputs.
 *
 * ## Why slots, and why leases
 * A limit of N (per work pool, per deployment) is N slot documents,
 * `…/workPools/{p}/slots/{0..N-1}` and `…/deployments/{d}/slots/{0..N-1}`. Starting a
 * run claims a free slot of each limit in the same transaction as SCHEDULED → PENDING;
 * the terminal transition deletes them in its own transaction. A single counter
 * document would take every start and end of a busy pool (Firestore sustains about one
 * write per second per document, and contended transactions on one document are slow);
 * slots spread those writes over N documents, each written about twice per run it
 * hosts, and a claimant picks a random free slot so concurrent starts rarely collide.
 *
 * A slot records its holder and a lease expiry. The monitor renews the lease on every
 * poll (the lease is far longer than the longest poll interval), so a run that is
 * followed keeps its slot; a slot whose holder vanished (a dispatcher killed after the
 * claim, a run whose monitor task was lost) is free again when its lease runs out, so
 * a pool never shrinks for longer than one lease.
 */

export type SlotKind = 'pool' | 'deployment';

/** One limit a run must fit in. */
export interface SlotScope {
  kind: SlotKind;
  name: string;
  limit: number;
}

export interface SlotView {
  index: number;
  holder?: string | undefined;
  /** ISO time; a slot whose lease has run out is free. */
  leaseUntil?: string | undefined;
}

/** At most this many slots of a limit are read per claim (a random window of a larger limit). */
export const SLOT_WINDOW = 64;
/** Waiting runs are looked at again at least this often, whatever wakes them first. */
export const WAIT_RECHECK_MS = 60_000;

export function isFree(slot: { leaseUntil?: string | undefined } | undefined, now: Date): boolean {
  return slot?.leaseUntil === undefined || Date.parse(slot.leaseUntil) <= now.getTime();
}

/**
 * Which slot indices of a limit to read: all of them up to SLOT_WINDOW, else a window
 * of SLOT_WINDOW consecutive indices (wrapping) at a random start. With a limit that
 * large, a full window while other slots are free only delays a start until a wake.
 */
export function slotWindow(limit: number, random: number): number[] {
  if (limit <= 0) return [];
  if (limit <= SLOT_WINDOW) return Array.from({ length: limit }, (_, i) => i);
  const start = Math.floor(random * limit);
  return Array.from({ length: SLOT_WINDOW }, (_, i) => (start + i) % limit);
}

/** A free slot chosen at random among the free ones (spreads concurrent claims), or null when full. */
export function chooseSlot(slots: readonly SlotView[], now: Date, random: number): number | null {
  const free = slots.filter((s) => isFree(s, now));
  if (free.length === 0) return null;
  return (free[Math.floor(random * free.length)] ?? free[0])?.index ?? null;
}

/** When a full limit can free up at the latest without a release: its earliest lease expiry. */
export function earliestExpiry(slots: readonly SlotView[]): Date | null {
  let earliest: number | null = null;
  for (const s of slots) {
    if (s.leaseUntil === undefined) continue;
    const t = Date.parse(s.leaseUntil);
    if (earliest === null || t < earliest) earliest = t;
  }
  return earliest === null ? null : new Date(earliest);
}

/** The limits a run of this deployment in this pool must fit in (null = unlimited). */
export function slotScopes(
  pool: { name: string; concurrencyLimit: number | null },
  deployment: { name: string; concurrencyLimit: number | null },
): SlotScope[] {
  const scopes: SlotScope[] = [];
  if (pool.concurrencyLimit !== null)
    scopes.push({ kind: 'pool', name: pool.name, limit: pool.concurrencyLimit });
  if (deployment.concurrencyLimit !== null)
    scopes.push({ kind: 'deployment', name: deployment.name, limit: deployment.concurrencyLimit });
  return scopes;
}

/** The order waiting runs start in: higher deployment priority first, then earlier scheduled time. */
export function waitingOrder(
  a: { priority: number; scheduledTime: string },
  b: { priority: number; scheduledTime: string },
): number {
  return b.priority - a.priority || Date.parse(a.scheduledTime) - Date.parse(b.scheduledTime);
}
