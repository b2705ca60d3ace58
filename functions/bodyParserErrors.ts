import { createRequire } from 'node:module';

type Middleware = (req: unknown, res: JsonResponse, next: (err?: unknown) => void) => void;
type ParserFactory = (opts?: unknown) => Middleware;
interface JsonResponse {
  headersSent: boolean;
  status(code: number): JsonResponse;
  setHeader(name: string, value: string): void;
  end(body: string): void;
}

const PATCHED = Symbol.for('pushrun.bodyParserErrors');

/**
 * functions-framework parses bodies with body-parser before our handler runs, and
 * on malformed JSON Express answers with an HTML page carrying a stack trace.
 * The framework has no error hook, so we wrap the parsers it will use (it
 * creates them when it builds its server, after loading this module) to answer
 * in the API's AIP-193 JSON shape instead — 400 for bad JSON, 413 for size.
 */
export function installBodyParserErrors(): void {
  const ffRequire = createRequire(
    createRequire(import.meta.url).resolve('@google-cloud/functions-framework'),
  );
  const bodyParser = ffRequire('body-parser') as Record<string, ParserFactory> & { [PATCHED]?: boolean };
  if (bodyParser[PATCHED]) return;
  for (const kind of ['json', 'text', 'urlencoded', 'raw'] as const) {
    const original = bodyParser[kind] as ParserFactory;
    bodyParser[kind] = (opts?: unknown) => {
      const mw = original(opts);
      return (req, res, next) =>
        mw(req, res, (err?: unknown) => {
          if (err === undefined || err === null) return next();
          if (res.headersSent) return next(err);
          const status = errorStatus(err);
          const body =
            status === 413
              ? { code: 413, status: 'OUT_OF_RANGE', message: 'request body too large', details: [] }
              : {
                  code: 400,
                  status: 'INVALID_ARGUMENT',
                  message: 'request body is not valid JSON',
                  details: [{ field: '(body)', issue: 'malformed JSON' }],
                };
          res.status(status);
          res.setHeader('content-type', 'application/json; charset=utf-8');
          res.end(JSON.stringify({ error: body }));
        });
    };
  }
  bodyParser[PATCHED] = true;
}

function errorStatus(err: unknown): number {
  const status = typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : 400;
  return status === 413 ? 413 : 400;
}
