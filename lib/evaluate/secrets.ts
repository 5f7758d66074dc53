/**
 * The one secret detector: a configuration value it flags never reaches an output (terminal,
 * email, Slack, Security Hub, report.json, CSV, HTML). Pure.
 *
 * A setting is judged by its own key, whole: an annotation key such as
 * `vault.hashicorp.com/agent-inject-token` is one key, not a path to split on its dots.
 */

/** Key names that may hold a credential. */
const SECRET_NAME = /secret|passw(or)?d|passwd|token|credential|api[-_]?key|private[-_]?key|auth|session/i;
/** Values that are credentials whatever their key. */
const SECRET_VALUE = [
  // Userinfo in a URL, in any form: `user:password@`, a token as the user (`ghp_…@`), an empty
  // user (`:token@`), spaces, line breaks or `/` in the password: any `@` after `://` (an `@` in
  // a URL's path is rare in a CNI setting; withholding it is the safe mistake).
  /[a-z][a-z0-9+.-]*:\/\/[^@]*@/is,
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/, // an AWS access key id
  /^[A-Za-z0-9+/=_-]{40,}$/, // a long opaque token
];

/** Whether the value under `key` (the setting's own key, e.g. `HTTPS_PROXY`) looks like a secret. */
export function looksSecret(key: string, value: unknown): boolean {
  if (SECRET_NAME.test(key)) return true;
  return typeof value === 'string' && SECRET_VALUE.some((re) => re.test(value));
}

/** What an output shows instead of a withheld value. */
export const WITHHELD = '(withheld)';
