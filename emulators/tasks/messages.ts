/**
 * The shapes @grpc/proto-loader gives and takes for google.cloud.tasks.v2 (camelCase
 * fields, enums as names, int64 as numbers, absent fields undefined). Only the fields
 * the emulator reads or writes are typed.
 */

export interface Timestamp {
  seconds?: number;
  nanos?: number;
}

export interface Duration {
  seconds?: number;
  nanos?: number;
}

export interface RateLimitsMessage {
  maxDispatchesPerSecond?: number;
  maxBurstSize?: number;
  maxConcurrentDispatches?: number;
}

export interface RetryConfigMessage {
  maxAttempts?: number;
  maxRetryDuration?: Duration | null;
  minBackoff?: Duration | null;
  maxBackoff?: Duration | null;
  maxDoublings?: number;
}

export type QueueStateName = 'RUNNING' | 'PAUSED' | 'DISABLED';

export interface QueueMessage {
  name?: string;
  appEngineRoutingOverride?: unknown;
  rateLimits?: RateLimitsMessage | null;
  retryConfig?: RetryConfigMessage | null;
  state?: QueueStateName | 'STATE_UNSPECIFIED';
  purgeTime?: Timestamp | null;
  stackdriverLoggingConfig?: { samplingRatio?: number } | null;
}

export type HttpMethodName =
  | 'HTTP_METHOD_UNSPECIFIED'
  | 'POST'
  | 'GET'
  | 'HEAD'
  | 'PUT'
  | 'DELETE'
  | 'PATCH'
  | 'OPTIONS';

export interface HttpRequestMessage {
  url?: string;
  httpMethod?: HttpMethodName;
  headers?: Record<string, string>;
  body?: Buffer;
  oauthToken?: { serviceAccountEmail?: string; scope?: string } | null;
  oidcToken?: { serviceAccountEmail?: string; audience?: string } | null;
  authorizationHeader?: 'oauthToken' | 'oidcToken';
}

export interface StatusMessage {
  code: number;
  message: string;
}

export interface AttemptMessage {
  scheduleTime?: Timestamp;
  dispatchTime?: Timestamp;
  responseTime?: Timestamp;
  responseStatus?: StatusMessage;
}

export type TaskView = 'VIEW_UNSPECIFIED' | 'BASIC' | 'FULL';

export interface TaskMessage {
  name?: string;
  appEngineHttpRequest?: unknown;
  httpRequest?: HttpRequestMessage | null;
  messageType?: 'appEngineHttpRequest' | 'httpRequest';
  scheduleTime?: Timestamp | null;
  createTime?: Timestamp;
  dispatchDeadline?: Duration | null;
  dispatchCount?: number;
  responseCount?: number;
  firstAttempt?: AttemptMessage;
  lastAttempt?: AttemptMessage;
  view?: TaskView;
}

export interface ListQueuesRequest {
  parent?: string;
  filter?: string;
  pageSize?: number;
  pageToken?: string;
}
export interface ListQueuesResponse {
  queues: QueueMessage[];
  nextPageToken: string;
}
export interface NameRequest {
  name?: string;
}
export interface CreateQueueRequest {
  parent?: string;
  queue?: QueueMessage | null;
}
export interface UpdateQueueRequest {
  queue?: QueueMessage | null;
  updateMask?: { paths?: string[] } | null;
}
export interface ListTasksRequest {
  parent?: string;
  responseView?: TaskView;
  pageSize?: number;
  pageToken?: string;
}
export interface ListTasksResponse {
  tasks: TaskMessage[];
  nextPageToken: string;
}
export interface GetTaskRequest {
  name?: string;
  responseView?: TaskView;
}
export interface CreateTaskRequest {
  parent?: string;
  task?: TaskMessage | null;
  responseView?: TaskView;
}

export type Empty = Record<string, never>;

export function toMillis(value: Timestamp | Duration | null | undefined): number | undefined {
  if (!value) return undefined;
  return (value.seconds ?? 0) * 1000 + Math.floor((value.nanos ?? 0) / 1e6);
}

export function toTimestamp(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round(ms - seconds * 1000) * 1e6 };
}

export const toDuration = toTimestamp;
