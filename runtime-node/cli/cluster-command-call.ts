// One operator command sent to a cluster node's admin route (POST
// /v1/cluster/<action>, runtime-node/cluster/cluster-admin.ts), as the
// `piccolo cluster ...` commands send them: the outcome sorted into what a
// script branches on (exit-codes.ts).

import { EXIT_OK, EXIT_SERVER_ERROR, EXIT_UNREACHABLE } from './exit-codes.js';
import { UsageError } from './usage-error.js';

export type CommandOutcome =
  | { exit: typeof EXIT_OK; body: Record<string, unknown> }
  | { exit: typeof EXIT_SERVER_ERROR | typeof EXIT_UNREACHABLE; message: string };

/** POST `body` to `${base}/v1/cluster/${action}`; `base` is http://HOST:PORT. */
export async function sendClusterCommand(base: string, action: string, body: unknown, password: string | undefined, timeoutMs: number): Promise<CommandOutcome> {
  let response: Response;
  let reply: Record<string, unknown> & { error?: { code: string; message: string } };
  try {
    response = await fetch(`${base}/v1/cluster/${action}`, {
      method: 'POST', body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(password === undefined ? {} : { authorization: `Bearer ${password}` }) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    reply = await response.json() as typeof reply;
  } catch (error) {
    return { exit: EXIT_UNREACHABLE, message: `${base}: ${(error as Error).message}` };
  }
  if (!response.ok) return { exit: EXIT_SERVER_ERROR, message: `${reply.error?.code ?? response.status}: ${reply.error?.message ?? ''}` };
  return { exit: EXIT_OK, body: reply };
}

/** A non-negative integer flag, or a usage error naming it. */
export function integerFlag(value: string | undefined, name: string, command: string): number {
  if (value === undefined) throw new UsageError(`${command} needs ${name}`);
  if (!/^\d{1,10}$/.test(value)) throw new UsageError(`${name} ${value} is not a non-negative integer`);
  return Number(value);
}
