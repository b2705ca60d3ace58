import { describe, expect, it } from 'vitest';
import { descriptionBindsWorkspace, workspaceBindingToken } from '../../../shared/domain/workspaceBinding.js';

describe('descriptionBindsWorkspace', () => {
  it('accepts the token as a whole word, wherever it stands', () => {
    for (const d of [
      'pushrun-workspace:acme',
      'pushrun-workspace:acme pushrun launches jobs as this account.',
      'launcher for pushrun-workspace:acme',
      'pushrun-workspace:globex, pushrun-workspace:acme; other text',
      'x\tpushrun-workspace:acme\n',
    ]) {
      expect(descriptionBindsWorkspace(d, 'acme'), d).toBe(true);
    }
  });

  it('refuses a longer or shorter workspace name, a prefix, another case, and no token', () => {
    for (const d of [
      '',
      'pushrun-workspace:acme-evil',
      'pushrun-workspace:acm',
      'xpushrun-workspace:acme',
      'pushrun-workspace:acme.',
      'pushrun-workspace:ACME',
      'pushrun-workspace: acme',
      'pushrun (workspace acme) launches jobs',
    ]) {
      expect(descriptionBindsWorkspace(d, 'acme'), d).toBe(false);
    }
    expect(descriptionBindsWorkspace('pushrun-workspace:acme', 'acme-evil')).toBe(false);
  });

  it('the token is what the message and the onboarding module write', () => {
    expect(workspaceBindingToken('acme')).toBe('pushrun-workspace:acme');
  });
});
