import { z } from 'zod';
import type { Account } from '../types.js';

/**
 * The data that flows through the Step Functions run of a large organization:
 * audit Lambda (plan) → Distributed Map over account batches (scan worker) → aggregate.
 * Big payloads go through S3 (the history bucket); the state machine carries keys and counts.
 * Every schema is strict: a key the state machine does not send is refused (lib/lambda/event.ts
 * parses them with Powertools Parser).
 */
const account = z.strictObject({
  id: z.string().regex(/^\d{12}$/),
  name: z.string(),
  ou: z.string().optional(),
  ouPath: z.array(z.string()).optional(),
  email: z.string().optional(),
  state: z.string(),
});
/** The worker refuses unknown keys: a field added to Account must be added above, or this stops compiling. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const accountSchemaIsAccount: Same<keyof z.infer<typeof account>, keyof Account> & Same<z.infer<typeof account>, Account> = true;
void accountSchemaIsAccount;

/** The execution's input, written by the plan step. */
export const planSchema = z.strictObject({
  runId: z.string().min(1),
  startedAt: z.iso.datetime(),
  bucket: z.string().min(3),
  /** A JSON array of the selected accounts: the Distributed Map's ItemReader reads it. */
  accountsKey: z.string().min(1),
  /** The accounts listed but not selected, with why (absent in executions of an older plan). */
  notSelectedKey: z.string().min(1).optional(),
  /** Scanned with the functions' own role; null: the audit role is assumed everywhere (always present: the state machine reads it). */
  managementId: z.string().nullable(),
  listed: z.number().int().nonnegative(),
  excluded: z.number().int().nonnegative(),
});
export type DistributedPlan = z.infer<typeof planSchema>;

/** What the Distributed Map hands one scan worker (ItemBatcher: Items + BatchInput). */
export const workerEventSchema = z.strictObject({
  Items: z.array(account).min(1),
  BatchInput: planSchema.pick({ runId: true, startedAt: true, bucket: true, managementId: true }),
});
export type WorkerEvent = z.infer<typeof workerEventSchema>;

/** A worker's answer: where its part is. A batch the worker could not finish arrives as `failed`. */
const partResult = z.union([
  z.strictObject({ key: z.string().min(1), accounts: z.number().int() }),
  z.strictObject({ failed: z.literal(true), error: z.string().optional(), cause: z.string().optional(), Items: z.array(account) }),
]);
export type PartResult = z.infer<typeof partResult>;

export const aggregateEventSchema = planSchema.extend({ parts: z.array(partResult) });
export type AggregateEvent = z.infer<typeof aggregateEventSchema>;

export function partsPrefix(historyPrefix: string, runId: string): string {
  return `${historyPrefix}distributed/${runId}/`;
}

export function partKey(historyPrefix: string, runId: string, accounts: readonly Account[]): string {
  return `${partsPrefix(historyPrefix, runId)}parts/${accounts[0]!.id}-${accounts.length}.json`;
}
