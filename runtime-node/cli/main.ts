// The `piccolo` command line: one subcommand per task.

// Subcommands are imported lazily: a client command need not load the server
// (uWebSockets.js, worker pool), which would slow every CLI call.
import { UsageError } from './usage-error.js';

const HELP = `Usage: piccolo <command> [options]

Commands:
  server                 start a node (piccolo server --help)
  get KEY                read a key
  set KEY VALUE          write a key (--ttl-ms, --if-absent, --if-present, --version)
  del KEY                delete a key
  incr KEY [DELTA]       add DELTA (default 1) to an integer value
  scan [PREFIX]          list keys (--limit, --cursor)
  check-history FILE     check a history file for linearizability

Client commands take --url (default ws://127.0.0.1:7700/v1/ws).
Run "piccolo <command> --help" for the options of one command.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined: case 'help': case '--help': case '-h':
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    case 'server': {
      const { runServerCommand } = await import('./server-command.js');
      return runServerCommand(rest);
    }
    case 'check-history': {
      const { runCheckHistory } = await import('./check-history.js');
      return runCheckHistory(rest, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
    }
    case 'get': case 'set': case 'del': case 'incr': case 'scan': {
      const { runClientCommand } = await import('./client-commands.js');
      return runClientCommand(command, rest);
    }
    default:
      process.stderr.write(`piccolo: unknown command '${command}'\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`piccolo: ${(error as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`piccolo: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
