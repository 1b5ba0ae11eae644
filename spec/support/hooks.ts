// The SDK warns on every run that its 2027 releases will need Node 22; the suite runs on Node 20 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The suite talks to 127.0.0.1 only: a proxy the machine's environment names (for its package registry, say) must
// not carry the suite's requests. The proxy specs set these variables themselves, and restore them.
for (const name of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy']) delete process.env[name];

import { startServer, stopServer } from './server';

/** Mocha global fixtures: one S3 server for the whole run. */
export async function mochaGlobalSetup(): Promise<void> {
  const s = await startServer();
  console.log(`  S3 server: ${s.kind} at ${s.endpoint}${s.verifiesAuth ? ' (verifies signatures)' : ''}`);
}

export async function mochaGlobalTeardown(): Promise<void> {
  await stopServer();
}
