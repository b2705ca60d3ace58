/** Every document of one emulator project, as raw REST JSON (for "nothing written" and secret scans). */
export async function dumpFirestore(projectId: string): Promise<{ name: string; json: string }[]> {
  const host = process.env.FIRESTORE_EMULATOR_HOST as string;
  const res = await fetch(`http://${host}/v1/projects/${projectId}/databases/(default)/documents:runQuery`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer owner' },
    body: JSON.stringify({ structuredQuery: { from: [{ allDescendants: true }] } }),
  });
  if (!res.ok) throw new Error(`dump failed: ${res.status} ${await res.text()}`);
  const rows = (await res.json()) as { document?: { name: string } }[];
  return rows
    .filter((r) => r.document)
    .map((r) => ({ name: r.document!.name, json: JSON.stringify(r.document) }));
}
