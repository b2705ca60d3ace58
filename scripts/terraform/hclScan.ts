/**
 * A structural scanner for HCL bodies that keeps what hcl2json's JSON loses: line numbers,
 * and whether `name ...` was written as an attribute (`name = …`) or a block (`name { … }`).
 * It runs only on files hcl2json has already parsed, so it needs to understand just enough
 * syntax to skip expressions: strings with `${…}`/`%{…}` templates, heredocs, comments and
 * bracket nesting.
 */

export interface ScannedAttribute {
  name: string;
  line: number;
  /** 1-based line of the last character of the value (multi-line values span several). */
  endLine: number;
  /** The expression's source text, exactly as written. */
  source: string;
}

export interface ScannedBlock {
  type: string;
  labels: string[];
  line: number;
  attributes: ScannedAttribute[];
  blocks: ScannedBlock[];
}

const IDENT_START = /[A-Za-z_]/;
const IDENT = /[A-Za-z0-9_-]/;

export function scanHcl(text: string): ScannedBlock {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (pos: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };

  let i = 0;

  const skipComment = (): boolean => {
    if (text[i] === '#' || (text[i] === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i++;
      return true;
    }
    if (text[i] === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      return true;
    }
    return false;
  };

  const skipSpace = (newlines: boolean): void => {
    for (;;) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) i++;
      else if (newlines && skipComment()) continue;
      else return;
    }
  };

  const readIdent = (): string => {
    const start = i;
    if (i < text.length && IDENT_START.test(text[i] ?? '')) {
      i++;
      while (i < text.length && IDENT.test(text[i] ?? '')) i++;
    }
    return text.slice(start, i);
  };

  const skipHeredoc = (): boolean => {
    const m = /^<<-?([A-Za-z_][A-Za-z0-9_-]*)\r?\n/.exec(text.slice(i, i + 200));
    if (!m) return false;
    const marker = m[1];
    i += m[0].length;
    for (;;) {
      if (i >= text.length) return true;
      let end = text.indexOf('\n', i);
      if (end < 0) end = text.length;
      const line = text.slice(i, end).trim();
      i = end;
      if (line === marker) return true;
      i++;
    }
  };

  /** From just after `${` or `%{`, to just after the matching `}`. */
  const skipInterpolation = (): void => {
    skipExpression('interpolation');
  };

  const skipQuoted = (): void => {
    i++; // opening quote
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') i += 2;
      else if (c === '"') {
        i++;
        return;
      } else if ((c === '$' || c === '%') && text[i + 1] === c && text[i + 2] === '{') i += 3;
      else if ((c === '$' || c === '%') && text[i + 1] === '{') {
        i += 2;
        skipInterpolation();
      } else i++;
    }
  };

  /**
   * Skips an expression. In 'attribute' mode it stops before a newline or a `}` at depth 0
   * (the end of a one-line block); in 'interpolation' mode it stops after the `}` at depth 0.
   */
  function skipExpression(mode: 'attribute' | 'interpolation'): void {
    let depth = 0;
    while (i < text.length) {
      const c = text[i];
      if (depth === 0 && mode === 'attribute' && (c === '\n' || c === '}')) return;
      if (skipComment()) continue;
      if (c === '"') skipQuoted();
      else if (c === '<' && text[i + 1] === '<' && skipHeredoc()) continue;
      else if (c === '(' || c === '[' || c === '{') {
        depth++;
        i++;
      } else if (c === ')' || c === ']' || c === '}') {
        if (depth === 0 && mode === 'interpolation') {
          i++;
          return;
        }
        depth--;
        i++;
      } else i++;
    }
  }

  function parseBody(block: ScannedBlock, nested: boolean): void {
    for (;;) {
      skipSpace(true);
      if (i >= text.length) return;
      if (text[i] === '}') {
        i++;
        if (nested) return;
        continue; // a stray brace at top level: hcl2json has already reported the file
      }
      const start = i;
      const name = readIdent();
      if (!name) {
        i++; // not something we understand; hcl2json validated the file, so move on
        continue;
      }
      skipSpace(false);
      if (text[i] === '=' && text[i + 1] !== '=') {
        i++;
        skipSpace(false);
        const valueStart = i;
        skipExpression('attribute');
        const source = text.slice(valueStart, i).trimEnd();
        block.attributes.push({
          name,
          line: lineOf(start),
          endLine: lineOf(valueStart + Math.max(0, source.length - 1)),
          source,
        });
        continue;
      }
      const labels: string[] = [];
      while (i < text.length && text[i] !== '{' && text[i] !== '\n') {
        if (text[i] === '"') {
          const labelStart = i + 1;
          skipQuoted();
          labels.push(text.slice(labelStart, i - 1));
        } else if (IDENT_START.test(text[i] ?? '')) labels.push(readIdent());
        else i++;
        skipSpace(false);
      }
      const child: ScannedBlock = { type: name, labels, line: lineOf(start), attributes: [], blocks: [] };
      block.blocks.push(child);
      if (text[i] === '{') {
        i++;
        parseBody(child, true);
      }
    }
  }

  const root: ScannedBlock = { type: '', labels: [], line: 1, attributes: [], blocks: [] };
  parseBody(root, false);
  return root;
}
