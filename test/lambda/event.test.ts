import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { EventError, parseAuditEvent } from '../../lib/lambda/event.js';

const SCHEDULED = JSON.parse(await readFile('events/scheduled.json', 'utf8')) as Record<string, unknown>;
const MANUAL = JSON.parse(await readFile('events/manual.json', 'utf8')) as unknown;
const DRY_RUN = JSON.parse(await readFile('events/manual-dry-run.json', 'utf8')) as unknown;

describe('event.ts', () => {
  it('reads the EventBridge schedule as the full, delivering night', () => {
    expect(parseAuditEvent(SCHEDULED)).toEqual({ trigger: 'schedule', dryRun: false });
  });

  it('reads the sample manual invokes', () => {
    expect(parseAuditEvent(MANUAL)).toEqual({ trigger: 'manual', dryRun: false, accounts: ['222222222222', '333333333333'], regions: ['us-east-1', 'eu-west-1'] });
    expect(parseAuditEvent(DRY_RUN)).toEqual({ trigger: 'manual', dryRun: true, regions: 'all' });
    expect(parseAuditEvent({ dryRun: false })).toEqual({ trigger: 'manual', dryRun: false });
  });

  it.each([
    ['"dryRun" added to a scheduled event', { ...SCHEDULED, dryRun: true }, /^not a scheduled event: \(event\): Unrecognized key: "dryRun"/],
    ['"accounts" added to a scheduled event', { ...SCHEDULED, accounts: ['222222222222'] }, /^not a scheduled event: \(event\): Unrecognized key: "accounts"/],
    ['a scheduled event with a detail', { ...SCHEDULED, detail: { dryRun: true } }, /^not a scheduled event: detail: a scheduled event's detail is empty \(found "dryRun"\)/],
    ['a scheduled event from another source', { ...SCHEDULED, source: 'aws.ec2' }, /^not a scheduled event: source: /],
    ['a scheduled event missing its envelope', { source: 'aws.events', 'detail-type': 'Scheduled Event' }, /^not a scheduled event: version: .*; id: /],
    ['null', null, /^not an audit event: the payload is null/],
    ['no payload', undefined, /^not an audit event: the payload is empty/],
    ['an empty object', {}, /^not an audit event: \(event\): an empty manual invoke is refused: send \{"dryRun": false\} for a full run/],
    ['a number', 42, /^not an audit event: the payload is 42/],
    ['a string', 'run', /^not an audit event: \(event\): Invalid input: expected object, received string/],
    ['an unknown key', { dryRun: true, notify: 'never' }, /^not an audit event: \(event\): Unrecognized key: "notify"/],
    ['a string for dryRun', { dryRun: 'false' }, /^not an audit event: dryRun: Invalid input: expected boolean/],
    ['a short account id', { accounts: ['1234'] }, /^not an audit event: accounts\.0: an account id has 12 digits/],
    ['an unknown Region', { regions: ['eu-west-9'] }, /^not an audit event: regions\.0: eu-west-9 is not an AWS Region/],
  ])('refuses %s, naming what is wrong', (_, event, message) => {
    // Act
    const parsing = () => parseAuditEvent(event);

    // Assess
    expect(parsing).toThrow(EventError);
    expect(parsing).toThrow(message);
  });
});
