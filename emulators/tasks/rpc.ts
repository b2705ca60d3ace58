import { grpc } from 'google-gax';
import type { EmulatorContext, FaultDecision, GrpcCode } from '../core/types.js';

/** An error the handlers throw to answer with a gRPC status, worded like Google's. */
export class RpcError extends Error {
  constructor(
    readonly code: GrpcCode,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export const Code = grpc.status;

function toServiceError(code: GrpcCode, message: string): grpc.ServerErrorResponse {
  return Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() });
}

export type UnaryHandler<Req, Res> = (request: Req, decision: FaultDecision) => Res | Promise<Res>;

/**
 * Wraps unary handlers with what every emulated RPC shares: call statistics, the
 * fault decision (latency, fail before the work, drop the answer after it) and the
 * mapping of thrown errors to statuses. Latency sleeps are tracked so stop() can
 * release them.
 */
export class RpcKit {
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  constructor(
    private readonly ctx: EmulatorContext,
    private readonly service: string,
  ) {}

  unary<Req, Res>(method: string, handler: UnaryHandler<Req, Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      void this.run(method, call.request, handler).then(
        (response) => callback(null, response),
        (error: unknown) => callback(this.toStatus(error)),
      );
    };
  }

  private async run<Req, Res>(method: string, request: Req, handler: UnaryHandler<Req, Res>): Promise<Res> {
    this.ctx.stats.record(this.service, method);
    const decision = this.ctx.faults.decide(this.service, method);
    if (decision.latencyMs > 0) await this.sleep(decision.latencyMs);
    if (decision.failWith !== undefined) throw new RpcError(decision.failWith, 'Injected fault.');
    const response = await handler(request, decision);
    if (decision.dropWith !== undefined) {
      throw new RpcError(
        decision.dropWith,
        'Injected fault: the call took effect but its response was dropped.',
      );
    }
    return response;
  }

  private toStatus(error: unknown): grpc.ServerErrorResponse {
    if (error instanceof RpcError) return toServiceError(error.code, error.message);
    // Unexpected errors are emulator bugs: say so without leaking request data.
    console.error(`[${this.service} emulator] internal error`, error);
    return toServiceError(Code.INTERNAL, 'Internal error encountered.');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.sleeps.add(entry);
    });
  }

  /** Ends pending fault latencies at once so a stopping server holds no timers. */
  stop(): void {
    for (const entry of this.sleeps) {
      clearTimeout(entry.timer);
      entry.resolve();
    }
    this.sleeps.clear();
  }
}

/** Binds a gRPC server with the given services on host:port (0 = any free port) and returns it with the bound port. */
export async function listen(
  host: string,
  port: number,
  services: Array<[grpc.ServiceDefinition, grpc.UntypedServiceImplementation]>,
): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  for (const [definition, implementation] of services) server.addService(definition, implementation);
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  return { server, port: boundPort };
}

/** Offset-based page tokens: opaque to clients, as the real ones are. */
export function paginate<T>(
  items: T[],
  pageSize: number | undefined,
  pageToken: string | undefined,
  max: number,
) {
  let offset = 0;
  if (pageToken) {
    offset = Number(Buffer.from(pageToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0)
      throw new RpcError(Code.INVALID_ARGUMENT, 'Invalid page token.');
  }
  const size = pageSize && pageSize > 0 ? Math.min(pageSize, max) : max;
  const page = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(String(offset + size)).toString('base64url') : '';
  return { page, nextPageToken: next };
}
