// The SDK warns on every run that its 2027 releases will need Node 22; the suite runs on Node 20 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { startServer, stopServer } from './server';

/** Mocha global fixtures: one S3 server for the whole run. */
export async function mochaGlobalSetup(): Promise<void> {
  const s = await startServer();
  console.log(`  S3 server: ${s.kind} at ${s.endpoint}${s.verifiesAuth ? ' (verifies signatures)' : ''}`);
}

export async function mochaGlobalTeardown(): Promise<void> {
  await stopServer();
}
