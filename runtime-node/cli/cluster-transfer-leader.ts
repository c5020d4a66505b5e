// `piccolo cluster transfer-leader --group G --to NODE [--node HOST:PORT]`:
// asks one node (any) to move group G's leadership to node NODE and keep it
// there (POST /v1/cluster/transfer-leader; runtime-node/cluster/cluster-admin.ts
// does the work and waits until the target leads). Prints the outcome.

import { parseArgs } from 'node:util';
import { TRANSFER_WAIT_MS } from '../cluster/cluster-admin.js';
import { passwordOf } from './client-commands.js';
import { httpBase, STATUS_DEFAULT_URL } from './cluster-status.js';
import { EXIT_OK, EXIT_SERVER_ERROR, EXIT_UNREACHABLE } from './exit-codes.js';
import { UsageError } from './usage-error.js';

/** The node waits up to TRANSFER_WAIT_MS; this leaves room for its relays and the answer. */
export const TRANSFER_CLI_TIMEOUT_MS = TRANSFER_WAIT_MS + 3_000;

const HELP = `Usage: piccolo cluster transfer-leader --group G --to NODE [--node HOST:PORT] [--password-file FILE] [--json]

Move group G's leadership to node NODE (one of the group's replicas) and
make NODE the group's preferred leader on every node, so it stays there.
Any node takes the command (--node, its HTTP address; default
${STATUS_DEFAULT_URL}); it answers once NODE leads, within ${TRANSFER_WAIT_MS} ms.
Clients keep working: writes sent during the move are answered, or
refused with NOT_LEADER / TRYAGAIN (not applied, safe to retry).

Exit codes: 0 NODE leads the group, 2 usage error, 3 the node could not
be reached, 4 refused (bad group or node) or not moved in time (the code
and message are printed; the preference stays).
`;

function integerFlag(value: string | undefined, name: string): number {
  if (value === undefined) throw new UsageError(`cluster transfer-leader needs ${name}`);
  if (!/^\d{1,10}$/.test(value)) throw new UsageError(`${name} ${value} is not a non-negative integer`);
  return Number(value);
}

export async function runClusterTransferLeader(args: string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      group: { type: 'string' }, to: { type: 'string' }, node: { type: 'string' }, json: { type: 'boolean' },
      'password-file': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out(HELP);
    return EXIT_OK;
  }
  const group = integerFlag(values.group, '--group');
  const to = integerFlag(values.to, '--to');
  const base = httpBase(values.node ?? STATUS_DEFAULT_URL);
  const password = passwordOf(values);
  let response: Response;
  let body: { error?: { code: string; message: string }; leader?: number; unreached?: number[] };
  try {
    response = await fetch(`${base}/v1/cluster/transfer-leader`, {
      method: 'POST', body: JSON.stringify({ group, to }),
      headers: { 'content-type': 'application/json', ...(password === undefined ? {} : { authorization: `Bearer ${password}` }) },
      signal: AbortSignal.timeout(TRANSFER_CLI_TIMEOUT_MS),
    });
    body = await response.json() as typeof body;
  } catch (error) {
    process.stderr.write(`piccolo cluster transfer-leader: ${base}: ${(error as Error).message}\n`);
    return EXIT_UNREACHABLE;
  }
  if (values.json) out(`${JSON.stringify(body)}\n`);
  if (!response.ok) {
    process.stderr.write(`piccolo cluster transfer-leader: ${body.error?.code ?? response.status}: ${body.error?.message ?? ''}\n`);
    return EXIT_SERVER_ERROR;
  }
  if (!values.json) {
    const missed = body.unreached?.length ? ` (not told, unreachable: nodes ${body.unreached.join(', ')})` : '';
    out(`group ${group}: node ${body.leader} leads${missed}\n`);
  }
  return EXIT_OK;
}
