import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // The fleet page's script (lib/report/html/client.generated.ts) is built, not committed.
    globalSetup: ['test/build-report.ts'],
    // Most integration files wait on the simulator (latency, retries, timeouts) more than they
    // compute: four files at a time on two cores halve the wall time (259 s → 138 s measured).
    maxWorkers: 4,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // This machine runs Node 20; the Lambda runs nodejs22.x. The SDK's notice about Node 20
    // would repeat in every worker and bury the results.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
