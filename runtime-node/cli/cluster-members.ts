// `piccolo cluster remove-node --id N [--node HOST:PORT]`: asks one node
// (any) to move every replica off node N and then record N as removed
// (POST /v1/cluster/remove-node; runtime-node/cluster/replica-mover.ts does
// the moving). The node answers after at most MOVE_WAIT_MS with what is
// left; this command asks again until the move is done or --timeout-ms
// passes. Asking again is safe: the move goes on from where the groups are.

import { parseArgs } from 'node:util';
import { MOVE_WAIT_MS } from '../cluster/cluster-admin.js';
import { passwordOf } from './client-commands.js';
import { integerFlag, sendClusterCommand } from './cluster-command-call.js';
import { httpBase, STATUS_DEFAULT_URL } from './cluster-status.js';
import { EXIT_OK, EXIT_SERVER_ERROR } from './exit-codes.js';

/** How long remove-node keeps asking by default: a few snapshots of small groups; large ones want --timeout-ms. */
export const MOVE_CLI_TIMEOUT_MS_DEFAULT = 120_000;
/** The node answers within MOVE_WAIT_MS; this leaves room for its last round and the answer. */
const MOVE_CALL_TIMEOUT_MS = MOVE_WAIT_MS + 10_000;

const HELP = `Usage: piccolo cluster remove-node --id N [--node HOST:PORT] [--timeout-ms MS] [--password-file FILE] [--json]

Move every replica off node N (a learner on another node catches up from a
snapshot and the log, is promoted to voter, then N's replica is removed;
N's leaderships move first), then record N as removed on every node. N
can be stopped once this succeeds. Any node takes the command (--node, its
HTTP address; default ${STATUS_DEFAULT_URL}). Clients keep working meanwhile.
Running it again after an interruption finishes the move.

Exit codes: 0 done, 2 usage error, 3 the node could not be reached,
4 refused (the code and message are printed) or not done within
--timeout-ms (default ${MOVE_CLI_TIMEOUT_MS_DEFAULT}; run it again).
`;

interface MoveBody { done?: boolean; pending?: number[]; steps?: Record<string, number> }

export async function runClusterRemoveNode(args: string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      id: { type: 'string' }, node: { type: 'string' }, 'timeout-ms': { type: 'string' }, json: { type: 'boolean' },
      'password-file': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out(HELP);
    return EXIT_OK;
  }
  const id = integerFlag(values.id, '--id', 'cluster remove-node');
  const timeoutMs = values['timeout-ms'] === undefined ? MOVE_CLI_TIMEOUT_MS_DEFAULT : integerFlag(values['timeout-ms'], '--timeout-ms', 'cluster remove-node');
  const base = httpBase(values.node ?? STATUS_DEFAULT_URL);
  const password = passwordOf(values);
  const end = Date.now() + timeoutMs;
  for (;;) {
    const outcome = await sendClusterCommand(base, 'remove-node', { id }, password, MOVE_CALL_TIMEOUT_MS);
    if (outcome.exit !== EXIT_OK) {
      process.stderr.write(`piccolo cluster remove-node: ${outcome.message}\n`);
      return outcome.exit;
    }
    const body = outcome.body as MoveBody;
    if (values.json) out(`${JSON.stringify(body)}\n`);
    if (body.done === true) {
      if (!values.json) out(`node ${id} holds no replica and is removed; it can be stopped\n`);
      return EXIT_OK;
    }
    if (!values.json) out(`moving replicas off node ${id}: groups ${body.pending?.join(', ') ?? '?'} still to move\n`);
    if (Date.now() >= end) {
      process.stderr.write(`piccolo cluster remove-node: not done within ${timeoutMs} ms; run it again to go on\n`);
      return EXIT_SERVER_ERROR;
    }
  }
}
