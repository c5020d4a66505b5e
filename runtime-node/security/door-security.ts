// What a process serving the front doors (a node, a gateway) sets up from
// its security options before it listens, in one place so the two cannot
// drift: the protected-mode refusal, the origin policies, the TLS material
// and the password gate.

import { SelfOriginPolicy } from '../dashboard/self-origin-policy.js';
import { OriginPolicy } from './origin-policy.js';
import { PasswordGate } from './password-gate.js';
import { checkProtectedMode } from './protected-mode.js';
import { loadTlsFiles, type TlsFiles, type TlsMaterial } from './tls-files.js';

export interface DoorSecurityOptions {
  requirePass?: string;
  allowOrigins?: readonly string[];
  protectedMode?: boolean;
  tls?: TlsFiles;
}

export interface DoorSecurity {
  /** The REST door's allow-list. */
  readonly originPolicy: OriginPolicy;
  /** The WebSocket door's and the dashboard's: the allow-list plus the process's own origin once it listens (its /dashboard page talks to its WebSocket). */
  readonly pageOriginPolicy: SelfOriginPolicy;
  readonly tls: TlsMaterial | null;
  readonly passwordGate: PasswordGate;
}

/** Refuses an unprotected non-loopback `host` (ProtectedModeError) and unreadable TLS files, before anything is started. */
export function doorSecurity(host: string, options: DoorSecurityOptions): DoorSecurity {
  checkProtectedMode(host, Boolean(options.requirePass), options.protectedMode ?? true);
  return {
    originPolicy: new OriginPolicy(options.allowOrigins ?? []),
    pageOriginPolicy: new SelfOriginPolicy(options.allowOrigins ?? []),
    tls: options.tls ? loadTlsFiles(options.tls) : null,
    passwordGate: new PasswordGate(options.requirePass ?? null),
  };
}
