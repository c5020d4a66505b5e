// The command line every side-by-side benchmark shares: --quick, --no-docs,
// --help, and running main() when the file is the entry point.

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export interface SideBySideArgs {
  /** Short runs: a smoke test; the docs are left alone. */
  readonly quick: boolean;
  /** Write docs/benchmarks.md (not with --quick or --no-docs). */
  readonly writeDocs: boolean;
}

/** The parsed flags, or null after printing `help` for --help. */
export function parseSideBySideArgs(argv: string[], help: string): SideBySideArgs | null {
  const { values } = parseArgs({
    args: argv,
    options: { quick: { type: 'boolean' }, 'no-docs': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(help);
    return null;
  }
  const quick = values.quick === true;
  return { quick, writeDocs: !quick && values['no-docs'] !== true };
}

/** Run `main` with the process's arguments when `moduleUrl` is the entry point; a failure prints under `label` and exits 1. */
export function runWhenMain(moduleUrl: string, label: string, main: (argv: string[]) => Promise<void>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${label}: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}

/** The options block of every side-by-side bench's --help (they all take the flags above). */
export const SIDE_BY_SIDE_OPTIONS_HELP = `Options:
  --quick      short runs: a smoke test (docs untouched)
  --no-docs    print only
  -h, --help   show this help
`;

/** Progress goes to stderr, so stdout holds only the result table. */
export function logProgress(line: string): void {
  process.stderr.write(`${line}\n`);
}
