/**
 * The CPU one SDK call costs at best on this machine: ListClusters through one warm EKS client
 * (endpoint and keys from the environment), many in flight. A run of N calls needs at least
 * N × this much CPU, whatever its concurrency: on one core, that is a floor under its wall time.
 */
import { EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';

const WARMUP = 200;
const CALLS = 2000;
const IN_FLIGHT = 64;

async function rounds(client: EKSClient, calls: number): Promise<void> {
  for (let done = 0; done < calls; done += IN_FLIGHT) {
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, calls - done) }, () => client.send(new ListClustersCommand({}))));
  }
}

export async function calibrate(): Promise<{ calls: number; cpuMsPerCall: number }> {
  const client = new EKSClient({ region: process.env.AWS_REGION ?? 'us-east-1' });
  try {
    await rounds(client, WARMUP);
    const before = process.cpuUsage();
    await rounds(client, CALLS);
    const cpu = process.cpuUsage(before);
    return { calls: CALLS, cpuMsPerCall: (cpu.user + cpu.system) / 1000 / CALLS };
  } finally {
    client.destroy();
  }
}
