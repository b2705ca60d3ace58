/**
 * Structured JSON logs on stdout (Cloud Logging reads `severity` and `message`).
 * Every line passes through `redact`, so a key, token or private key that slips
 * into a message or field is masked before it is written.
 */
export type Severity = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

const ORDER: Record<Severity, number> = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3 };

const SECRET_PATTERNS: RegExp[] = [
  /prk_[a-z0-9-]+_[0-9a-z]{12}_[0-9a-f]{40}/g, // API keys
  /prss_[A-Za-z0-9_.-]{20,}/g, // SSO session tokens (before the SCIM pattern, which shares the prefix)
  /prs_[A-Za-z0-9_-]{20,}/g, // SCIM tokens
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs (run tokens, ID tokens)
  /"private_key"\s*:\s*"[^"]*"/g,
];

export function redact(text: string): string {
  let out = text;
  for (const p of SECRET_PATTERNS) out = out.replace(p, '[REDACTED]');
  return out;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(opts: {
  level?: 'debug' | 'info' | 'warn' | 'error';
  write?: (line: string) => void;
  base?: Record<string, unknown>;
}): Logger {
  const min =
    ORDER[({ debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' } as const)[opts.level ?? 'info']];
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emit = (severity: Severity, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[severity] < min) return;
    const entry = { severity, message, time: new Date().toISOString(), ...opts.base, ...fields };
    write(redact(JSON.stringify(entry, errorReplacer)));
  };
  return {
    debug: (m, f) => emit('DEBUG', m, f),
    info: (m, f) => emit('INFO', m, f),
    warn: (m, f) => emit('WARNING', m, f),
    error: (m, f) => emit('ERROR', m, f),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack, cause: value.cause };
  }
  return value;
}
