/** Server state of the directory, imports, notices, calendar and delivery screens (one key per resource). */
import { useQuery } from '@tanstack/react-query';
import { api } from './api';
import type { TAdminUser, TChannelPreferences, TNoticeItem, TUnitGroup, TUnitNode, TUnitsAnswer } from './adminTypes';
import { keys, useMe } from './queries';

export const adminKeys = {
  unitTree: ['units', 'tree'] as const,
  adminUsers: ['users', 'admin'] as const,
  groups: ['unit-groups'] as const,
  notices: (campaignId: string) => ['notices', campaignId] as const,
  statsBy: (campaignId: string, by: string) => ['stats', campaignId, 'by', by] as const,
  importJob: (campaignId: string, importId: string) => ['import', campaignId, importId] as const,
  calendar: (from: string, to: string) => ['calendar', from, to] as const,
  preferences: ['me', 'notification-preferences'] as const,
  outbox: (status: string) => ['admin', 'outbox', status] as const,
};

/** Whether the signed-in person is an administrator (the server decides again on every call: 403 otherwise). */
export function useIsAdmin(): boolean {
  return useMe().data?.role === 'admin';
}

/** Office staff and administrators run imports and notices (the server decides per campaign). */
export function useIsOfficeOrAdmin(): boolean {
  const role = useMe().data?.role;
  return role === 'office' || role === 'admin';
}

/** Builds the nested tree from the flat list when the server answers only the list. */
export function treeOf(items: TUnitNode[]): TUnitNode[] {
  const byId = new Map(items.map((u) => [u.id, { ...u, children: [] as TUnitNode[] }]));
  const roots: TUnitNode[] = [];
  for (const node of byId.values()) {
    const parent = node.parentId ? byId.get(node.parentId) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

export function useUnitTree() {
  return useQuery({
    queryKey: adminKeys.unitTree,
    queryFn: async () => {
      const answer = await api.get<TUnitsAnswer>('/api/units');
      return { items: answer.items, tree: answer.tree ?? treeOf(answer.items) };
    },
  });
}

export function useAdminUsers() {
  return useQuery({
    queryKey: adminKeys.adminUsers,
    queryFn: () => api.get<{ items: TAdminUser[] }>('/api/users'),
  });
}

export function useUnitGroups() {
  return useQuery({
    queryKey: adminKeys.groups,
    queryFn: () => api.get<{ items: TUnitGroup[] }>('/api/unit-groups'),
  });
}

export function useNotices(campaignId: string | undefined) {
  return useQuery({
    queryKey: adminKeys.notices(campaignId ?? ''),
    queryFn: () => api.get<{ items: TNoticeItem[] }>(`/api/campaigns/${encodeURIComponent(campaignId!)}/notices`),
    enabled: !!campaignId,
  });
}

export function usePreferences() {
  return useQuery({
    queryKey: adminKeys.preferences,
    queryFn: () => api.get<TChannelPreferences>('/api/me/notification-preferences'),
  });
}

/** Every key a directory change may have made stale (pickers elsewhere read the same lists). */
export const directoryKeys = [keys.units, keys.users, adminKeys.groups] as const;
