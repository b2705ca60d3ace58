/**
 * Tees everything written to stdout (the functions' JSON logs, the emulated
 * containers' output) into `lines`, so secret-hygiene tests can scan it.
 * Returns the function that restores the original writer.
 */
export function captureStdout(lines: string[]): () => void {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  return () => {
    process.stdout.write = write;
  };
}
