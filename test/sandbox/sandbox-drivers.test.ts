import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessSandboxDriver } from '../../src/sandbox/process-driver.js';
import { BwrapSandboxDriver } from '../../src/sandbox/bwrap-driver.js';
import { runSandboxDriverSuite } from './sandbox-driver-suite.js';

// Each server has its own data directory, hence its own process-driver scratch directory.
runSandboxDriverSuite('process', () => new ProcessSandboxDriver({ scratchDir: mkdtempSync(join(tmpdir(), 'flint-process-sandboxes-')), memoryPollMs: 20 }));
// Every bwrap driver shares /run/flint, as separate servers on one host do.
runSandboxDriverSuite('bwrap', () => new BwrapSandboxDriver());
// The fallback for hosts without a C compiler: setpriv + sh + socat instead of flint-sandbox-init.
runSandboxDriverSuite('bwrap (shell init)', () => new BwrapSandboxDriver({ init: 'shell' }));
