import type { CallStats } from './types.js';

export class MemoryCallStats implements CallStats {
  private counts = new Map<string, Map<string, number>>();

  record(service: string, method: string): void {
    let byMethod = this.counts.get(service);
    if (!byMethod) {
      byMethod = new Map();
      this.counts.set(service, byMethod);
    }
    byMethod.set(method, (byMethod.get(method) ?? 0) + 1);
  }

  snapshot(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [service, byMethod] of this.counts) out[service] = Object.fromEntries(byMethod);
    return out;
  }

  reset(): void {
    this.counts.clear();
  }
}
