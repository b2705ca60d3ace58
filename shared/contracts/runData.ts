import { z } from 'zod';
import { PageQuery, Timestamp } from './common.js';

export const LogLevel = z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']);
export type LogLevel = z.infer<typeof LogLevel>;

export const LogLine = z.strictObject({
  level: LogLevel.default('INFO'),
  message: z.string().max(32_768),
  timestamp: Timestamp.optional(),
  taskRun: z.string().max(128).optional(),
});
export type LogLine = z.infer<typeof LogLine>;

export const WriteLogsRequest = z.strictObject({ logs: z.array(LogLine).min(1).max(1000) });
export type WriteLogsRequest = z.infer<typeof WriteLogsRequest>;

export const LogEntry = z.object({
  id: z.string(),
  level: LogLevel,
  message: z.string(),
  timestamp: Timestamp,
  taskRun: z.string().optional(),
});
export type LogEntry = z.infer<typeof LogEntry>;

export const ListLogsQuery = PageQuery.extend({ level: LogLevel.optional() });
export type ListLogsQuery = z.infer<typeof ListLogsQuery>;

export const TaskRunState = z.enum(['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED']);

/**
 * A step reported by a run container. Parameter values are accepted (clients
 * send them) but only their names are kept: task parameter values are never stored.
 */
export const ReportTaskRunRequest = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/)
    .optional(),
  name: z.string().min(1).max(200),
  state: TaskRunState,
  startTime: Timestamp.optional(),
  endTime: Timestamp.optional(),
  parameterNames: z.array(z.string().max(200)).max(200).optional(),
  parameters: z.record(z.string().max(200), z.unknown()).optional(),
});
export type ReportTaskRunRequest = z.infer<typeof ReportTaskRunRequest>;

export const TaskRun = z.object({
  id: z.string(),
  name: z.string(),
  state: TaskRunState,
  startTime: Timestamp.optional(),
  endTime: Timestamp.optional(),
  parameterNames: z.array(z.string()),
  updatedAt: Timestamp,
});
export type TaskRun = z.infer<typeof TaskRun>;
