/** The smoke check groups, in the order they run (failover restarts instances; rate-limit probes spend a window: last). */
export const CHECK_GROUPS = ['routing', 'auth', 'headers', 'route-headers', 'cache', 'static', 'tls', 'websocket', 'distribution', 'failover', 'rate-limit'] as const;
export type CheckGroup = (typeof CHECK_GROUPS)[number];
