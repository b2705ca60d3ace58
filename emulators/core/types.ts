/**
 * The seams between the emulator services. Each Google API the project emulates
 * (Cloud Run + IAM, Cloud Tasks, Cloud KMS) is started by its own module with a
 * shared EmulatorContext, so faults, call statistics and the OIDC issuer are one
 * thing across all of them.
 */

/** A gRPC status code number (google.rpc.Code): 3 INVALID_ARGUMENT, 5 NOT_FOUND, 6 ALREADY_EXISTS, 7 PERMISSION_DENIED, 8 RESOURCE_EXHAUSTED, 9 FAILED_PRECONDITION, 14 UNAVAILABLE, 16 UNAUTHENTICATED. */
export type GrpcCode = number;

export interface FaultSpec {
  /** 'run' | 'tasks' | 'kms' | 'iam' */
  service: string;
  /** RPC method name as in the proto (e.g. 'RunJob', 'CreateTask', 'Encrypt'); '*' for all. */
  method: string;
  code?: GrpcCode;
  latencyMs?: number;
  /** The call takes effect, but the caller receives an error (code, default UNAVAILABLE). */
  dropResponse?: boolean;
  /** Cloud Tasks only: deliver each matching task twice, concurrently. */
  duplicateDelivery?: boolean;
  /** Probability 0..1 that a matching call is affected (default 1). */
  rate?: number;
  /** Affect at most this many calls, then the fault is spent. */
  count?: number;
}

/** What a fault decided for one call. */
export interface FaultDecision {
  latencyMs: number;
  /** Fail before doing anything with this code. */
  failWith?: GrpcCode;
  /** Do the work, then fail with this code instead of answering. */
  dropWith?: GrpcCode;
  duplicateDelivery: boolean;
}

export interface FaultInjector {
  add(spec: FaultSpec): void;
  clear(): void;
  /** Consulted once per call; consumes `count`. */
  decide(service: string, method: string): FaultDecision;
}

export interface CallStats {
  record(service: string, method: string): void;
  snapshot(): Record<string, Record<string, number>>;
  reset(): void;
}

/** Signs OIDC ID tokens as the emulator's issuer; the public keys are served at `jwksUri`. */
export interface OidcSigner {
  readonly issuer: string;
  readonly jwksUri: string;
  /** RS256 JWT with iss, aud, sub = email, email, email_verified, iat, exp. */
  signIdToken(claims: {
    audience: string;
    email: string;
    lifetimeSeconds?: number;
    extra?: Record<string, unknown>;
  }): Promise<string>;
}

export interface EmulatorContext {
  /** Loopback host to bind, e.g. '127.0.0.1'. */
  host: string;
  faults: FaultInjector;
  stats: CallStats;
  oidc: OidcSigner;
}

/** A started service: its bound address and a stop that releases every port, timer and child process. */
export interface RunningService {
  /** 'host:port' for gRPC services, 'http://host:port' for HTTP ones. */
  address: string;
  stop(): Promise<void>;
}

/** The endpoints file written by `npm run emulators` (default .pushrun/emulators.json). */
export interface EmulatorEndpoints {
  run: string;
  tasks: string;
  kms: string;
  iam: string;
  control: string;
  oidcIssuer: string;
  jwksUri: string;
  [extra: string]: string;
}
