// The exit codes of the client commands (get, set, del, incr, scan), one per
// kind of outcome, so scripts can tell "the key is not there" from "the node
// is down" from "the node said no" without parsing stderr.

/** The command did what was asked. */
export const EXIT_OK = 0;
/** The key does not exist: get or del of a missing key, set --if-present (NOT_FOUND). */
export const EXIT_NOT_FOUND = 1;
/** The command line is wrong; nothing was sent. */
export const EXIT_USAGE = 2;
/** No node could be reached: refused, DNS failure, handshake timeout, or the connection dropped. */
export const EXIT_UNREACHABLE = 3;
/** The node answered with an error (its code is on stderr), e.g. VERSION_MISMATCH, WRONG_TYPE. */
export const EXIT_SERVER_ERROR = 4;

/** A bug in the CLI itself (a stack trace is printed); sysexits' EX_SOFTWARE, far from the codes above. */
export const EXIT_INTERNAL = 70;

/** The table printed by `piccolo --help` and every client command's --help. */
export const EXIT_CODES_HELP = `Exit codes (client commands):
  ${EXIT_OK}  done
  ${EXIT_NOT_FOUND}  not found (get or del of a missing key, set --if-present)
  ${EXIT_USAGE}  usage error (nothing was sent)
  ${EXIT_UNREACHABLE}  cannot connect (refused, DNS, timeout, connection lost)
  ${EXIT_SERVER_ERROR}  the node answered with an error (its code is printed)
  ${EXIT_INTERNAL} a bug in piccolo itself (a stack trace is printed)`;
