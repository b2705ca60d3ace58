import http from 'node:http';
import https from 'node:https';

/** How one HTTP attempt ended. */
export type AttemptOutcome =
  | { kind: 'response'; status: number }
  | { kind: 'deadline' }
  | { kind: 'error'; message: string }
  | { kind: 'aborted' };

export interface DeliveryRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  deadlineMs: number;
}

/**
 * Sends task attempts over keep-alive connections. node:http rather than fetch
 * because a task's own headers may name ones fetch forbids, and because stop()
 * must be able to destroy every socket at once.
 */
export class HttpDelivery {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  private readonly inFlight = new Set<() => void>();

  send(request: DeliveryRequest): Promise<AttemptOutcome> {
    return new Promise((resolve) => {
      const secure = request.url.protocol === 'https:';
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (outcome: AttemptOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(abort);
        resolve(outcome);
      };
      const req = (secure ? https : http).request(
        request.url,
        {
          method: request.method,
          headers: { ...request.headers, 'content-length': String(request.body.length) },
          agent: secure ? this.httpsAgent : this.httpAgent,
        },
        (res) => {
          // The attempt counts as answered once the handler finished its response.
          res.resume();
          res.on('close', () => settle({ kind: 'response', status: res.statusCode ?? 0 }));
        },
      );
      const abort = (): void => {
        settle({ kind: 'aborted' });
        req.destroy();
      };
      this.inFlight.add(abort);
      timer = setTimeout(() => {
        settle({ kind: 'deadline' });
        req.destroy();
      }, request.deadlineMs);
      req.on('error', (error) => settle({ kind: 'error', message: error.message }));
      req.end(request.body);
    });
  }

  /** Aborts every attempt in flight and closes all pooled sockets. */
  stop(): void {
    for (const abort of [...this.inFlight]) abort();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
