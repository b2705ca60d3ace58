import type { Request, Response } from '@google-cloud/functions-framework';
import type { HttpRequest, HttpResponse } from '../shared/http/types.js';

/** Translates the functions-framework (Express) request into the core's plain request. */
export function fromExpress(req: Request): HttpRequest {
  const url = req.originalUrl ?? req.url;
  const q = url.indexOf('?');
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers))
    headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return {
    method: req.method.toUpperCase(),
    path: req.path,
    query: new URLSearchParams(q >= 0 ? url.slice(q + 1) : ''),
    headers,
    body: req.rawBody,
    ip: req.ip,
  };
}

export function sendResponse(res: Response, out: HttpResponse): void {
  res.status(out.status);
  for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
  if (out.body === undefined) {
    res.end();
    return;
  }
  // SCIM answers application/scim+json; everything else is plain JSON.
  if (out.headers?.['content-type'] === undefined)
    res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(out.body));
}
