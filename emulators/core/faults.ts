import type { FaultDecision, FaultInjector, FaultSpec } from './types.js';

interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
}

/** Faults in the order they were added; the first matching one that fires decides the call. */
export class MemoryFaultInjector implements FaultInjector {
  private faults: ActiveFault[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  add(spec: FaultSpec): void {
    this.faults.push({ spec, remaining: spec.count ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.faults = [];
  }

  list(): FaultSpec[] {
    return this.faults.map((f) => ({ ...f.spec }));
  }

  decide(service: string, method: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, duplicateDelivery: false };
    for (const fault of this.faults) {
      const { spec } = fault;
      if (spec.service !== service && spec.service !== '*') continue;
      if (spec.method !== method && spec.method !== '*') continue;
      if (fault.remaining <= 0) continue;
      if (spec.rate !== undefined && this.random() >= spec.rate) continue;
      fault.remaining -= 1;
      decision.latencyMs += spec.latencyMs ?? 0;
      if (spec.duplicateDelivery) decision.duplicateDelivery = true;
      if (spec.dropResponse) decision.dropWith ??= spec.code ?? 14;
      else if (spec.code !== undefined) decision.failWith ??= spec.code;
    }
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return decision;
  }
}
