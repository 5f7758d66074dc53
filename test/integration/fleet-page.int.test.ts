import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildHandler } from '../../functions/audit.js';
import { parseS3Uri } from '../../lib/deliver/s3-object.js';
import type { ChatNotification } from '../../lib/deliver/notify/slack.js';
import type { RunOutcome } from '../../lib/run.js';
import { loadOrgFile } from '../sim/schema.js';
import { startSimulator, type Simulator } from '../sim/server.js';
import { DEMO_BUCKET, lambdaContext, simulatorEnv, withEnv } from '../support/local-lambda.js';
import { pageDataOf } from '../report/html/read-page.js';

/** The nightly handler stores each run's fleet page beside its report and links it from the email and Slack. */
const SCHEDULED = JSON.parse(await readFile('events/scheduled.json', 'utf8')) as unknown;
const DEMO = await loadOrgFile('events/demo-org.json');

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ org: structuredClone(DEMO), port: 0 });
});
afterEach(async () => {
  await sim.stop();
});

async function night(env: Record<string, string> = {}): Promise<RunOutcome> {
  let outcome: RunOutcome | undefined;
  await withEnv(simulatorEnv(sim, env), () => buildHandler({ onOutcome: (o) => (outcome = o) })(SCHEDULED, lambdaContext()));
  return outcome!;
}

function lastMessage(): { email: string; slack: ChatNotification } {
  const bodies = JSON.parse(sim.records.sns.at(-1)!.message) as { default: string; https: string };
  return { email: bodies.default, slack: JSON.parse(bodies.https) as ChatNotification };
}

describe('fleet page of the nightly run', () => {
  it('writes runs/…/<runId>.html beside the JSON with two nights of trend, and the email and Slack link it presigned for 7 days', async () => {
    // Prepare
    await night();

    // Act
    const outcome = await night();

    // Assess: beside the report, as HTML
    const page = outcome.delivery.page;
    if (page === undefined || page === 'failed') throw new Error(`no page written: ${JSON.stringify(page)}`);
    const history = outcome.delivery.history;
    if (typeof history === 'string') throw new Error(`no history: ${history}`);
    expect(page.location).toBe(history.location.replace(/\.json$/, '.html'));
    const object = sim.objects(DEMO_BUCKET).get(parseS3Uri(page.location)!.key)!;
    expect(object.contentType).toBe('text/html; charset=utf-8');
    expect(pageDataOf(object.body.toString('utf8')).trend.points).toHaveLength(2);

    // the link a person follows, from the email, opens the page; Slack links the same
    const { email, slack } = lastMessage();
    const url = /^ {2}(http\S+X-Amz-Signature=\S+)$/m.exec(email)?.[1];
    expect(url).toBeDefined();
    expect(new URL(url!).searchParams.get('X-Amz-Expires')).toBe('604800');
    expect(email).toContain('https://console.aws.amazon.com/s3/object/acme-fleet-audit-history?region=us-east-1');
    expect(slack.content.description).toContain(`<${url}|Open the fleet report>`);
    const response = await fetch(url!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toBe(object.body.toString('utf8'));
  });

  it('links the S3 console instead when REPORT_PRESIGN is false', async () => {
    // Act
    await night({ REPORT_PRESIGN: 'false' });

    // Assess
    const { email, slack } = lastMessage();
    expect(email).not.toContain('X-Amz-Signature');
    expect(email).toMatch(/Fleet report, in the S3 console \(sign in with read access to the history bucket\): https:\/\/console\.aws\.amazon\.com\/s3\/object\/acme-fleet-audit-history\?region=us-east-1&bucketType=general&prefix=fleet-audit%2Fruns%2F\d{4}%2F\d{2}%2F\d{2}%2F[\w.-]+\.html/);
    expect(slack.content.description).toContain('|Open the fleet report in the S3 console>');
  });
});
