// PasswordGate, the bearer header and the WebSocket auth frame, on their own.
import { describe, expect, it } from 'vitest';
import { bearerToken, PasswordGate, type AuthDoor } from '../../runtime-node/security/password-gate.js';
import { authOkFrame, parseAuthFrame } from '../../runtime-node/security/ws-auth-frame.js';

const headers = (authorization: string) => ({ getHeader: (name: string) => (name === 'authorization' ? authorization : '') });

describe('PasswordGate', () => {
  it('without a password lets everything in and counts nothing', () => {
    const failures: AuthDoor[] = [];
    for (const none of [null, '']) {
      const gate = new PasswordGate(none, (door) => failures.push(door));
      expect(gate.required).toBe(false);
      expect(gate.check('anything', 'resp')).toBe(true);
      expect(gate.authorizeHttp(headers(''))).toBe(true);
    }
    expect(failures).toEqual([]);
  });

  it('checks strings and bytes, counts refusals by door, and follows set()', () => {
    const failures: AuthDoor[] = [];
    const gate = new PasswordGate('pässword', (door) => failures.push(door));
    expect(gate.required).toBe(true);
    expect(gate.check('pässword', 'resp')).toBe(true);
    expect(gate.check(new TextEncoder().encode('pässword'), 'resp')).toBe(true);
    expect(gate.check('pässwor', 'resp')).toBe(false);
    expect(gate.check('', 'ws')).toBe(false);
    expect(gate.authorizeHttp(headers('Bearer pässword'))).toBe(true);
    expect(gate.authorizeHttp(headers(''))).toBe(false);
    expect(gate.authorizeHttp(headers('Basic cGFzcw=='), 'ws')).toBe(false);
    expect(failures).toEqual(['resp', 'ws', 'http', 'ws']);
    gate.set('new');
    expect(gate.matches('pässword')).toBe(false);
    expect(gate.matches('new')).toBe(true);
    gate.set(null);
    expect(gate.required).toBe(false);
  });

  it('reads only Bearer tokens', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('  bearer   abc  ')).toBe('abc');
    for (const other of ['', 'Bearer', 'Bearer a b', 'Basic abc', 'abc']) expect(bearerToken(other), other).toBeNull();
  });
});

describe('the WebSocket auth frame', () => {
  it('is told apart from requests and answered with its id', () => {
    expect(parseAuthFrame('{"id":3,"op":"auth","password":"p"}')).toEqual({ kind: 'auth', id: 3, password: 'p' });
    expect(parseAuthFrame('{"op":"auth","password":"p"}')).toEqual({ kind: 'auth', id: null, password: 'p' });
    expect(parseAuthFrame('{"id":3,"op":"auth"}').kind).toBe('bad');
    expect(parseAuthFrame('{"id":3,"op":"auth","password":7}').kind).toBe('bad');
    for (const other of ['{"id":1,"op":"get","key":"k"}', 'not json', '[1]', 'null']) expect(parseAuthFrame(other).kind, other).toBe('other');
    expect(authOkFrame('x')).toBe('{"id":"x","ok":true}');
    expect(authOkFrame({ evil: 1 })).toBe('{"id":null,"ok":true}');
  });
});
