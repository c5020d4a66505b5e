// Log lines of a node, as text (the default, for people) or one JSON object
// per line (--log-format json, for log shippers). Messages keep the house
// habit of a level prefix ("warning: ...", "fatal: ..."): the JSON form lifts
// it into a `level` field, so call sites stay one string.

export type LogFormat = 'text' | 'json';
export type Log = (line: string, fields?: Record<string, unknown>) => void;

const LEVEL_PREFIX = /^(warning|error|fatal):\s*/;

export function createLog(format: LogFormat, write: (text: string) => void, now: () => Date = () => new Date()): Log {
  if (format === 'text') {
    return (line, fields) => {
      const extra = fields ? ` ${Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}` : '';
      write(`${line}${extra}\n`);
    };
  }
  return (line, fields) => {
    const m = LEVEL_PREFIX.exec(line);
    const level = m ? m[1] : 'info';
    const msg = m ? line.slice(m[0].length) : line;
    write(`${JSON.stringify({ time: now().toISOString(), level, msg, ...fields })}\n`);
  };
}
