#!/usr/bin/env node
// The `piccolo` command. The TypeScript sources are compiled to dist/ by
// `npm ci` (the `prepare` script), so this runs with plain node.
import '../dist/runtime-node/cli/main.js';
