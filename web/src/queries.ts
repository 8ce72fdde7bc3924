/** Server state through TanStack Query: one key per resource, so a decision can refresh exactly what it changes. */
import { useQuery, type QueryClient } from '@tanstack/react-query';
import { api, fetchMe } from './api';
import type { TCampaign, TInbox, TNotification, TOpinion, TPage, TUnit, TUserItem } from './types';

export const keys = {
  me: ['me'] as const,
  inbox: ['inbox'] as const,
  unread: ['notifications', 'unread'] as const,
  notifications: ['notifications'] as const,
  tasks: ['tasks'] as const,
  task: (id: string) => ['task', id] as const,
  campaigns: ['campaigns'] as const,
  units: ['units'] as const,
  users: ['users'] as const,
  opinions: ['opinions'] as const,
  stats: (campaignId: string) => ['stats', campaignId] as const,
};

export function useMe() {
  return useQuery({ queryKey: keys.me, queryFn: fetchMe, staleTime: 5 * 60_000, retry: false });
}

export function useInbox(enabled = true) {
  // The counts in the navigation follow new work without a reload (a minute is soon enough for a to-do list).
  return useQuery({
    queryKey: keys.inbox,
    queryFn: () => api.get<TInbox>('/api/inbox'),
    enabled,
    refetchInterval: 60_000,
  });
}

export function useUnreadCount(enabled = true) {
  return useQuery({
    queryKey: keys.unread,
    queryFn: async () =>
      (await api.get<TPage<TNotification> & { unread: number }>('/api/notifications', { pageSize: 1 })).unread,
    enabled,
    refetchInterval: 60_000,
  });
}

export function useCampaigns() {
  return useQuery({
    queryKey: keys.campaigns,
    queryFn: () => api.get<{ items: TCampaign[] }>('/api/campaigns', { pageSize: 200 }),
    staleTime: 60_000,
  });
}

export function useUnits() {
  return useQuery({
    queryKey: keys.units,
    queryFn: () => api.get<{ items: TUnit[] }>('/api/units'),
    staleTime: 5 * 60_000,
  });
}

export function useUsers(enabled = true) {
  return useQuery({
    queryKey: keys.users,
    queryFn: () => api.get<{ items: TUserItem[] }>('/api/users'),
    staleTime: 5 * 60_000,
    enabled,
  });
}

export function useOpinions(enabled = true) {
  return useQuery({ queryKey: keys.opinions, queryFn: () => api.get<{ items: TOpinion[] }>('/api/opinions'), enabled });
}

/** After any decision: the lists, the counts and the statistics may all have moved. */
export async function refreshAfterDecision(client: QueryClient): Promise<void> {
  await Promise.all([
    client.invalidateQueries({ queryKey: keys.inbox }),
    client.invalidateQueries({ queryKey: keys.notifications }),
    client.invalidateQueries({ queryKey: keys.tasks }),
    client.invalidateQueries({ queryKey: ['stats'] }),
  ]);
}
