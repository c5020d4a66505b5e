// The certificate and key a TLS node serves, read and checked once at
// startup: a missing, unreadable or invalid file, or a key that does not
// belong to the certificate, stops the node with a message naming the file,
// instead of handshakes failing later for reasons a client cannot see.

import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';

/** PEM files, as ServerOptions.tls names them. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** The files' contents, checked. */
export interface TlsMaterial extends TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** A TLS file is missing, unreadable or invalid. */
export class TlsConfigError extends Error {
  override name = 'TlsConfigError';

  constructor(readonly file: string, detail: string) {
    super(`TLS: ${detail} (${file}); pass a PEM certificate with --tls-cert and its PEM private key with --tls-key`);
  }
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new TlsConfigError(file, `cannot read the ${what} file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export function loadTlsFiles(files: TlsFiles): TlsMaterial {
  const cert = readPem(files.certFile, 'certificate');
  const key = readPem(files.keyFile, 'private key');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw new TlsConfigError(files.certFile, `not a PEM certificate: ${(error as Error).message}`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new TlsConfigError(files.keyFile, `not a PEM private key (or it is encrypted): ${(error as Error).message}`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TlsConfigError(files.keyFile, `the private key does not belong to the certificate ${files.certFile}`);
  }
  return { ...files, cert, key };
}
