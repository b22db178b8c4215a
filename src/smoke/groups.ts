/** The smoke check groups, in the order they run (rate limits spend a window, failover restarts instances: last). */
export const CHECK_GROUPS = ['routing', 'auth', 'headers', 'cache', 'static', 'tls', 'websocket', 'rate-limit', 'distribution', 'failover'] as const;
export type CheckGroup = (typeof CHECK_GROUPS)[number];
