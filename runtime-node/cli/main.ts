// The `piccolo` command line: one subcommand per task.

// Subcommands are imported lazily: a client command need not load the server
// (uWebSockets.js, worker pool), which would slow every CLI call.
import { EXIT_CODES_HELP, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { UsageError } from './usage-error.js';

const HELP = `Usage: piccolo <command> [options]

Commands:
  server                 start a node (piccolo server --help)
  cluster up [--nodes N] start a local cluster of N nodes on loopback (docs/cluster.md)
  cluster status         every group's members, leader, term, indexes, lag (--json, --url)
  cluster transfer-leader --group G --to NODE   move a group's leadership (--node)
  cluster add-node --id N --peer HOST:PORT   a node started with --join takes its share
  cluster remove-node --id N   move node N's replicas away, then remove it (--node)
  gateway --nodes H:P,.. a stateless JSON/Cap'n Proto gateway in front of a cluster (docs/gateway.md)
  get KEY                read a key (--json, --base64)
  set KEY VALUE          write a key (--ttl-ms, --if-absent, --if-present, --version,
                         --base64; VALUE "-" reads standard input)
  del KEY                delete a key
  incr KEY [DELTA]       add DELTA (default 1) to an integer value
  scan [PREFIX]          list keys (--limit, --cursor, --all)
  check-history FILE     check a history file for linearizability

Options:
  -v, --version          print the version of piccolo
  -h, --help             print this help

Client commands take --url (default ws://127.0.0.1:7700/v1/ws).
Run "piccolo <command> --help" for the options of one command.

${EXIT_CODES_HELP}
`;

const CLIENT_COMMANDS = ['get', 'set', 'del', 'incr', 'scan'] as const;
type ClientCommandName = (typeof CLIENT_COMMANDS)[number];
const isClientCommand = (command: string | undefined): command is ClientCommandName =>
  (CLIENT_COMMANDS as readonly (string | undefined)[]).includes(command);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (isClientCommand(command)) {
    const { runClientCommand } = await import('./client-commands.js');
    return runClientCommand(command, rest);
  }
  switch (command) {
    case undefined: case 'help': case '--help': case '-h':
      process.stdout.write(HELP);
      return command === undefined ? EXIT_USAGE : EXIT_OK;
    case 'version': case '--version': case '-v': {
      const { packageVersion } = await import('./package-version.js');
      process.stdout.write(`${packageVersion()}\n`);
      return EXIT_OK;
    }
    case 'server': {
      const { runServerCommand } = await import('./server-command.js');
      return runServerCommand(rest);
    }
    case 'cluster': {
      if (rest[0] === 'transfer-leader') {
        const { runClusterTransferLeader } = await import('./cluster-transfer-leader.js');
        return runClusterTransferLeader(rest.slice(1));
      }
      if (rest[0] === 'add-node' || rest[0] === 'remove-node') {
        const { runClusterMembersCommand } = await import('./cluster-members.js');
        return runClusterMembersCommand(rest[0], rest.slice(1));
      }
      if (rest[0] === 'status') {
        const { runClusterStatus } = await import('./cluster-status.js');
        return runClusterStatus(rest.slice(1));
      }
      const { runClusterCommand } = await import('../cluster/cluster-up.js');
      return runClusterCommand(rest);
    }
    case 'gateway': return (await import('./gateway-command.js')).runGatewayCommand(rest);
    case 'check-history': {
      const { runCheckHistory } = await import('./check-history.js');
      return runCheckHistory(rest, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
    }
    default:
      process.stderr.write(`piccolo: unknown command '${command}'\n\n${HELP}`);
      return EXIT_USAGE;
  }
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`piccolo: ${(error as Error).message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.stderr.write(`piccolo: ${(error as Error).stack ?? String(error)}\n`);
    // Client commands keep 1..4 for outcomes a script branches on; a crash there must not look like "not found".
    process.exitCode = isClientCommand(argv[0]) ? EXIT_INTERNAL : 1;
  },
);
