// `piccolo cluster add-node --id N --peer HOST:PORT` and `piccolo cluster
// remove-node --id N`: ask one node (any, --node) to change the cluster's
// nodes and move replicas accordingly (POST /v1/cluster/add-node or
// remove-node; runtime-node/cluster/cluster-admin.ts and replica-mover.ts do
// the work). The node answers after at most MOVE_WAIT_MS with what is left;
// this command asks again until the move is done or --timeout-ms passes.
// Asking again is safe: the move goes on from where the groups are.

import { parseArgs } from 'node:util';
import { MOVE_WAIT_MS } from '../cluster/cluster-admin.js';
import { passwordOf } from './client-commands.js';
import { integerFlag, sendClusterCommand } from './cluster-command-call.js';
import { httpBase, STATUS_DEFAULT_URL } from './cluster-status.js';
import { EXIT_OK, EXIT_SERVER_ERROR } from './exit-codes.js';
import { UsageError } from './usage-error.js';

/** How long the command keeps asking by default: a few snapshots of small groups; large ones want --timeout-ms. */
export const MOVE_CLI_TIMEOUT_MS_DEFAULT = 120_000;
/** The node answers within MOVE_WAIT_MS; this leaves room for its last round and the answer. */
const MOVE_CALL_TIMEOUT_MS = MOVE_WAIT_MS + 10_000;

const COMMON = `Any node takes the command (--node, its HTTP address; default
${STATUS_DEFAULT_URL}). Clients keep working meanwhile. Running it again after an
interruption finishes the move.

Exit codes: 0 done, 2 usage error, 3 the node could not be reached,
4 refused (the code and message are printed) or not done within
--timeout-ms (default ${MOVE_CLI_TIMEOUT_MS_DEFAULT}; run it again).
`;

const HELP = {
  'add-node': `Usage: piccolo cluster add-node --id N --peer HOST:PORT [--node HOST:PORT] [--timeout-ms MS] [--password-file FILE] [--json]

Make node N (started with: piccolo server --node-id N --join HOST:PORT
--peer-port PORT --data-dir DIR) a member: every node learns its peer
address, then replicas move to it (a learner catches up from a snapshot and
the log, is promoted to voter, then a replica on a busier node is removed)
until it holds its share. ${COMMON}`,
  'remove-node': `Usage: piccolo cluster remove-node --id N [--node HOST:PORT] [--timeout-ms MS] [--password-file FILE] [--json]

Move every replica off node N (a learner on another node catches up from a
snapshot and the log, is promoted to voter, then N's replica is removed;
N's leaderships move first), then record N as removed on every node. N can
be stopped once this succeeds. ${COMMON}`,
} as const;

interface MoveBody { done?: boolean; pending?: number[] }

export async function runClusterMembersCommand(command: keyof typeof HELP, args: string[],
  out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      id: { type: 'string' }, peer: { type: 'string' }, node: { type: 'string' }, 'timeout-ms': { type: 'string' }, json: { type: 'boolean' },
      'password-file': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out(HELP[command]);
    return EXIT_OK;
  }
  const id = integerFlag(values.id, '--id', `cluster ${command}`);
  if (command === 'add-node' && values.peer === undefined) throw new UsageError('cluster add-node needs --peer HOST:PORT (the new node\'s peer address)');
  if (command === 'remove-node' && values.peer !== undefined) throw new UsageError('cluster remove-node takes no --peer');
  const timeoutMs = values['timeout-ms'] === undefined ? MOVE_CLI_TIMEOUT_MS_DEFAULT : integerFlag(values['timeout-ms'], '--timeout-ms', `cluster ${command}`);
  const base = httpBase(values.node ?? STATUS_DEFAULT_URL);
  const password = passwordOf(values);
  const end = Date.now() + timeoutMs;
  for (;;) {
    const outcome = await sendClusterCommand(base, command, command === 'add-node' ? { id, peer: values.peer } : { id }, password, MOVE_CALL_TIMEOUT_MS);
    if (outcome.exit !== EXIT_OK) {
      process.stderr.write(`piccolo cluster ${command}: ${outcome.message}\n`);
      return outcome.exit;
    }
    const body = outcome.body as MoveBody;
    if (values.json) out(`${JSON.stringify(body)}\n`);
    if (body.done === true) {
      if (!values.json) out(command === 'add-node' ? `node ${id} is a member and holds its share of replicas\n` : `node ${id} holds no replica and is removed; it can be stopped\n`);
      return EXIT_OK;
    }
    if (!values.json) out(`moving replicas ${command === 'add-node' ? 'to' : 'off'} node ${id}: groups ${body.pending?.join(', ') ?? '?'} still to move\n`);
    if (Date.now() >= end) {
      process.stderr.write(`piccolo cluster ${command}: not done within ${timeoutMs} ms; run it again to go on\n`);
      return EXIT_SERVER_ERROR;
    }
  }
}
