/**
 * Keyless credentials are impersonated by pushrun's ONE platform identity, which every
 * customer trusts with `roles/iam.serviceAccountTokenCreator` on their launcher account.
 * Without more, any workspace could register another customer's launcher account and
 * pushrun would act as it for them (a confused deputy). The customer therefore writes the
 * workspace the account is meant for into the account's own `description`, which only
 * they can change (pushrun is never granted `iam.serviceAccounts.update`), and pushrun
 * reads it back as the account before trusting the registration.
 */

/** The token a launcher account's description carries: `pushrun-workspace:{workspace}`. */
export function workspaceBindingToken(workspace: string): string {
  return `pushrun-workspace:${workspace}`;
}

/**
 * Whether `description` names `workspace` as a whole token, delimited by whitespace, a
 * comma, a semicolon or either end. A substring is not enough: `pushrun-workspace:acme-evil`
 * must not bind the account to `acme`. Several tokens bind the account to several
 * workspaces, which is the customer's choice to make.
 */
export function descriptionBindsWorkspace(description: string, workspace: string): boolean {
  const wanted = workspaceBindingToken(workspace);
  return description.split(/[\s,;]+/).some((token) => token === wanted);
}
