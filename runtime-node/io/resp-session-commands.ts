// Commands about the connection itself: HELLO, AUTH, QUIT, CLIENT. They
// change only this connection's session, synchronously, in command order.
// Error texts are Redis 7's.

import { SYNTAX_ERROR } from '../../core/resp/resp-errors.js';
import { parseInt64Number } from '../../core/resp/resp-numbers.js';
import type { RespValue } from '../../core/resp/reply-encoder.js';
import type { PasswordGate } from '../security/password-gate.js';
import {
  bulk, fail, helpLines, integer, OK, reply, subcommandArityError, text, unknownSubcommand, word,
  type CommandCall, type RespSession,
} from './resp-command-context.js';

/** The version of Redis whose commands Piccolo's RESP door follows: 6.2 (no EXPIRE NX/XX/GT/LT, no SET NX GET). */
export const REDIS_COMPAT_VERSION = '6.2.0';

export const NOAUTH_ERROR = 'NOAUTH Authentication required.';
const WRONGPASS_ERROR = 'WRONGPASS invalid username-password pair or user is disabled.';
const NO_PASSWORD_ERROR = 'ERR AUTH <password> called without any password configured for the default user. '
  + 'Are you sure your configuration is correct?';
const HELLO_NOAUTH_ERROR = 'NOAUTH HELLO must be called with the client already authenticated, otherwise the '
  + 'HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP '
  + 'protocol version at the same time';
/** Redis's only user here; any other name is refused as Redis refuses unknown users. */
const DEFAULT_USER = 'default';

/**
 * Whether user/password may log in, through the node's PasswordGate (constant
 * time; a refusal is counted). Without a password configured the default user
 * takes any password, as in Redis.
 */
function credentialsValid(gate: PasswordGate, user: Uint8Array | null, password: Uint8Array): boolean {
  if (user !== null && text(user) !== DEFAULT_USER) {
    gate.onFailure('resp');
    return false;
  }
  return gate.check(password, 'resp');
}

export function runAuth(call: CommandCall): void {
  const { args, session, node } = call;
  if (args.length > 2) return call.done(fail(SYNTAX_ERROR));
  if (args.length === 1 && !node.passwordGate.required) return call.done(fail(NO_PASSWORD_ERROR));
  const user = args.length === 2 ? args[0]! : null;
  const password = args[args.length - 1]!;
  if (!credentialsValid(node.passwordGate, user, password)) return call.done(fail(WRONGPASS_ERROR));
  session.authenticated = true;
  call.done(reply(OK));
}

export function runHello(call: CommandCall): void {
  const { args, session, node } = call;
  let version = session.protocol;
  if (args.length >= 1) {
    const asked = parseInt64Number(args[0]!);
    if (asked === null) return call.done(fail('ERR Protocol version is not an integer or out of range'));
    if (asked !== 2 && asked !== 3) return call.done(fail('NOPROTO unsupported protocol version'));
    version = asked;
  }
  let credentials: { user: Uint8Array; password: Uint8Array } | null = null;
  let name: Uint8Array | null = null;
  for (let i = 1; i < args.length; i++) {
    const option = word(args[i]!);
    const more = args.length - 1 - i;
    if (option === 'AUTH' && more >= 2) {
      credentials = { user: args[i + 1]!, password: args[i + 2]! };
      i += 2;
    } else if (option === 'SETNAME' && more >= 1) {
      name = args[++i]!;
    } else {
      return call.done(fail(`ERR Syntax error in HELLO option '${text(args[i]!).slice(0, 128)}'`));
    }
  }
  if (credentials !== null) {
    if (!credentialsValid(node.passwordGate, credentials.user, credentials.password)) return call.done(fail(WRONGPASS_ERROR));
    session.authenticated = true;
  }
  if (!session.authenticated) return call.done(fail(HELLO_NOAUTH_ERROR));
  if (name !== null) {
    const refused = setClientAttribute(session, 'name', name);
    if (refused !== null) return call.done(fail(refused));
  }
  session.protocol = version;
  const str = (s: string): RespValue => bulk(s);
  call.done({
    protocol: version,
    value: {
      type: 'map',
      entries: [
        [str('server'), str('piccolo')],
        [str('version'), str(REDIS_COMPAT_VERSION)],
        [str('proto'), integer(version)],
        [str('id'), integer(session.id)],
        [str('mode'), str(call.node.cluster ? 'cluster' : 'standalone')],
        [str('role'), str('master')],
        [str('modules'), { type: 'array', items: [] }],
      ],
    },
  });
}

export function runQuit(call: CommandCall): void {
  call.done({ value: OK, close: true });
}

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'LIST',
  '    Return information about client connections.',
  'SETINFO <option> <value>',
  '    Set client meta attr. Options are: LIB-NAME, LIB-VER.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'HELP',
  '    Print this help.',
];

/** Redis's arities of the CLIENT subcommands served here, counting CLIENT and the subcommand. */
const CLIENT_ARITY: Readonly<Record<string, number>> = { GETNAME: 2, ID: 2, INFO: 2, LIST: -2, SETINFO: 4, SETNAME: 3, HELP: 2 };

export function runClient(call: CommandCall): void {
  const { args, session, node } = call;
  const sub = word(args[0]!);
  const arity = Object.hasOwn(CLIENT_ARITY, sub) ? CLIENT_ARITY[sub] : undefined;
  if (arity === undefined) return call.done(fail(unknownSubcommand('client', args[0]!)));
  const count = args.length + 1;
  if (arity > 0 ? count !== arity : count < -arity) return call.done(fail(subcommandArityError('client', sub)));
  switch (sub) {
    case 'ID': return call.done(reply(integer(session.id)));
    case 'GETNAME': return call.done(reply(session.name === '' ? { type: 'null' } : bulk(session.name)));
    case 'SETNAME': {
      const refused = setClientAttribute(session, 'name', args[1]!);
      return call.done(refused === null ? reply(OK) : fail(refused));
    }
    case 'SETINFO': {
      const attribute = word(args[1]!);
      if (attribute !== 'LIB-NAME' && attribute !== 'LIB-VER') {
        return call.done(fail(`ERR Unrecognized option '${text(args[1]!).slice(0, 128)}'`));
      }
      const refused = setClientAttribute(session, attribute === 'LIB-NAME' ? 'libName' : 'libVersion', args[2]!);
      return call.done(refused === null ? reply(OK) : fail(refused));
    }
    case 'INFO': return call.done(reply({ type: 'verbatim', format: 'txt', text: clientLine(session, call.nowMs) }));
    case 'LIST': {
      if (args.length > 1) return call.done(fail(SYNTAX_ERROR)); // TYPE / ID filters are not supported
      let lines = '';
      for (const other of node.sessions()) lines += clientLine(other, call.nowMs);
      return call.done(reply({ type: 'verbatim', format: 'txt', text: lines }));
    }
    case 'HELP': return call.done(reply(helpLines(CLIENT_HELP)));
    default: return call.done(fail(unknownSubcommand('client', args[0]!)));
  }
}

/** Longest client name / library name or version kept, so sessions stay small. */
export const CLIENT_ATTRIBUTE_BYTES_MAX = 256;

/**
 * Set a printable attribute as Redis does: only bytes '!'..'~' (no spaces,
 * newlines or controls, since CLIENT LIST prints them space-separated);
 * empty clears. Returns the error text, or null when set.
 */
function setClientAttribute(session: RespSession, attribute: 'name' | 'libName' | 'libVersion', value: Uint8Array): string | null {
  const label = attribute === 'name' ? 'Client names' : attribute === 'libName' ? 'lib-name' : 'lib-ver';
  for (const byte of value) {
    if (byte < 0x21 || byte > 0x7e) return `ERR ${label} cannot contain spaces, newlines or special characters.`;
  }
  if (value.length > CLIENT_ATTRIBUTE_BYTES_MAX) return `ERR ${label} is longer than ${CLIENT_ATTRIBUTE_BYTES_MAX} bytes`;
  session[attribute] = text(value);
  return null;
}

/** One CLIENT LIST line: the fields of Redis's that mean something here. */
function clientLine(s: RespSession, nowMs: number): string {
  const age = Math.max(0, Math.floor((nowMs - s.createdAtMs) / 1000));
  const idle = Math.max(0, Math.floor((nowMs - s.lastCommandAtMs) / 1000));
  return `id=${s.id} addr=${s.remoteAddress} laddr=${s.localAddress} name=${s.name} age=${age} idle=${idle} `
    + `flags=N db=0 user=default resp=${s.protocol} lib-name=${s.libName} lib-ver=${s.libVersion}\n`;
}
