import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { ConfigError, externalIdSchema, type AuditConfig } from '../config.js';

/**
 * The ExternalId kept out of the template and the Lambda environment: read once per container
 * (cold start) from the SSM SecureString AUDIT_EXTERNAL_ID_PARAMETER names, decrypted, through
 * the Powertools parameters utility, and checked like AUDIT_EXTERNAL_ID. Its value is never
 * logged nor put in an error.
 */
export async function withExternalIdFromParameter(config: AuditConfig): Promise<AuditConfig> {
  const name = config.externalIdParameter;
  if (name === undefined) return config;
  let value: string | undefined;
  try {
    value = await getParameter(name, { decrypt: true, maxAge: 900 });
  } catch (error) {
    const cause = error instanceof Error ? `${(error.cause as Error | undefined)?.name ?? error.name}: ${(error.cause as Error | undefined)?.message ?? error.message}` : String(error);
    throw new ConfigError(`AUDIT_EXTERNAL_ID_PARAMETER: ${name} cannot be read: ${cause}`, { cause: error });
  }
  if (value === undefined) throw new ConfigError(`AUDIT_EXTERNAL_ID_PARAMETER: ${name} has no value`);
  const parsed = externalIdSchema.safeParse(value.trim());
  if (!parsed.success) throw new ConfigError(`AUDIT_EXTERNAL_ID_PARAMETER: the value of ${name} ${parsed.error.issues[0]!.message}`);
  return { ...config, externalId: parsed.data };
}
