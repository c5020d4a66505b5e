// Empties dist/ before a build, so a module deleted from the sources does not
// linger as compiled JavaScript (npm pack ships whatever dist/ holds).
import { rmSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

rmSync(fileURLToPath(new URL('../dist/', import.meta.url)), { recursive: true, force: true });
