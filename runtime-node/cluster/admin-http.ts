// The HTTP calls one cluster node makes to another's admin routes on an
// operator's behalf (cluster-admin.ts, replica-mover.ts): a POST of a small
// JSON command, and a read of a node's view (GET /v1/cluster). The
// operator's Authorization header is passed on (the nodes share the
// password). Every call is bounded in time; a failure is an answer (false,
// null), never a throw: the caller decides what a silent node means.

/** A node that does not answer within this is taken as unreachable for this call (as `cluster status` waits). */
export const ADMIN_CALL_TIMEOUT_MS = 2_000;

/** One group as a node's GET /v1/cluster shows it; role and numbers only for groups it hosts. */
export interface NodeGroupView {
  group: number;
  replicas: number[];
  role?: string;
  term?: number;
  commit?: number;
  applied?: number;
  voters?: number[];
  learners?: number[];
}

export interface NodeView {
  nodeId: number;
  groups: NodeGroupView[];
}

const headersOf = (authorization: string): Record<string, string> => (authorization ? { authorization } : {});

/** POST /v1/cluster/<action> at `http` (host:port); ok and the reply's body, or ok false when it failed or did not answer. */
export async function postAdmin(http: string, action: string, body: unknown, authorization: string,
  timeoutMs = ADMIN_CALL_TIMEOUT_MS): Promise<{ ok: boolean; body: Record<string, unknown> | null }> {
  try {
    const response = await fetch(`http://${http}/v1/cluster/${action}`, {
      method: 'POST', body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headersOf(authorization) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { ok: response.ok, body: await response.json() as Record<string, unknown> };
  } catch {
    return { ok: false, body: null };
  }
}

/** The node's view of the cluster, or null when it did not answer. */
export async function fetchNodeView(http: string, authorization: string): Promise<NodeView | null> {
  try {
    const response = await fetch(`http://${http}/v1/cluster`, { headers: headersOf(authorization), signal: AbortSignal.timeout(ADMIN_CALL_TIMEOUT_MS) });
    return response.ok ? await response.json() as NodeView : null;
  } catch {
    return null;
  }
}
