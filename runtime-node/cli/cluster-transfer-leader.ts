// `piccolo cluster transfer-leader --group G --to NODE [--node HOST:PORT]`:
// asks one node (any) to move group G's leadership to node NODE and keep it
// there (POST /v1/cluster/transfer-leader; runtime-node/cluster/cluster-admin.ts
// does the work and waits until the target leads). Prints the outcome.

import { parseArgs } from 'node:util';
import { TRANSFER_WAIT_MS } from '../cluster/cluster-admin.js';
import { passwordOf } from './client-commands.js';
import { httpBase, STATUS_DEFAULT_URL } from './cluster-status.js';
import { integerFlag, sendClusterCommand } from './cluster-command-call.js';
import { EXIT_OK } from './exit-codes.js';

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
  const group = integerFlag(values.group, '--group', 'cluster transfer-leader');
  const to = integerFlag(values.to, '--to', 'cluster transfer-leader');
  const base = httpBase(values.node ?? STATUS_DEFAULT_URL);
  const password = passwordOf(values);
  const outcome = await sendClusterCommand(base, 'transfer-leader', { group, to }, password, TRANSFER_CLI_TIMEOUT_MS);
  if (outcome.exit !== EXIT_OK) {
    process.stderr.write(`piccolo cluster transfer-leader: ${outcome.message}\n`);
    return outcome.exit;
  }
  const body = outcome.body as { leader?: number; unreached?: number[] };
  if (values.json) {
    out(`${JSON.stringify(body)}\n`);
  } else {
    const missed = body.unreached?.length ? ` (not told, unreachable: nodes ${body.unreached.join(', ')})` : '';
    out(`group ${group}: node ${body.leader} leads${missed}\n`);
  }
  return EXIT_OK;
}
