import type { Logger } from '@aws-lambda-powertools/logger';
import { countMetric } from './metrics';

/** Every authentication event the audit trail records. */
export type AuditEvent =
  | 'registered'
  | 'logged_in'
  | 'login_failed'
  | 'logged_out'
  | 'refresh_reuse_detected'
  | 'password_changed'
  | 'sessions_revoked'
  | 'account_deleted'
  | 'rate_limited'
  | 'mail_requested'
  | 'mail_sent'
  | 'mail_failed'
  | 'mail_suppressed'
  | 'link_used'
  | 'link_refused'
  | 'mfa_required'
  | 'mfa_succeeded'
  | 'mfa_failed'
  | 'totp_enrollment_started'
  | 'totp_enabled'
  | 'totp_disabled'
  | 'recovery_codes_renewed'
  | 'passkey_added'
  | 'passkey_deleted'
  | 'passkey_refused'
  | 'oauth_started'
  | 'oauth_failed'
  | 'identity_linked'
  | 'identity_unlinked'
  | 'account_reclaimed'
  | 'admin_command';

/**
 * What an audit line may carry. Deliberately closed: no field can hold a password, token, hash
 * or email, so a careless call cannot leak one into the logs.
 */
export interface AuditFields {
  userId?: string | null;
  sessionId?: string;
  ip?: string;
  reason?:
    | 'unknown_email'
    | 'wrong_password'
    | 'wrong_current_password'
    | 'password_changed_concurrently'
    | 'unknown_address'
    | 'address_limit'
    | 'nothing_to_verify'
    | 'send_failed'
    | 'queue_failed'
    | 'invalid_link'
    | 'wrong_code'
    | 'replayed'
    | 'wrong_recovery_code'
    | 'invalid_mfa_token'
    | 'code_used_up'
    | 'sign_up_disabled'
    | 'email_taken_meanwhile'
    | 'totp_capped'
    | 'email_not_verified'
    | 'reauthentication_required'
    | 'account_disabled';
  /** The reset reclaimed an account whose address was never proved (its factors went). */
  reclaimed?: boolean;
  /** Passkeys removed by a completed reset. */
  passkeysRemoved?: boolean;
  /** How a sign-in was made when no factor says it (e.g. `oauth:google`, `email`): the SignIns metric's dimension. */
  method?: string;
  /** The second factor a log-in used (or the passkey that was the log-in). */
  factor?: 'totp' | 'recovery_code' | 'passkey' | 'oauth';
  /** How a passwordless email sign-in was confirmed. */
  via?: 'link' | 'code';
  /** Social log-in: the provider, and why a sign-in failed (a library or protocol code, never a provider's text). */
  provider?: 'google' | 'github' | 'apple' | 'oidc';
  oauthReason?: string;
  /** Why a passkey ceremony was refused. */
  passkeyReason?: string;
  /** The kind of mail (never its address or link). */
  mail?:
    | 'verify-email'
    | 'password-reset'
    | 'email-changed'
    | 'email-sign-in'
    | 'security-notice'
    | 'signed-in';
  limit?:
    | 'login_ip'
    | 'register_ip'
    | 'login_account'
    | 'login_account_ceiling'
    | 'reauth_account'
    | 'reauth_session'
    | 'reauth_account_ceiling'
    | 'reset_ip'
    | 'email_change'
    | 'email_sign_in_ip'
    | 'oauth_ip';
  revokedSessions?: number;
  retryAfterSeconds?: number;
  /** An operator's command (`npm run admin`), the operator's IAM identity, and the reason they gave. */
  command?: string;
  operator?: string;
  note?: string;
  /** How the command ended: ok, not_found, validation_failed, conflict. */
  outcome?: string;
}

/** Structured audit trail: one JSON log line per authentication event, with the Lambda request id. */
export interface AuditLog {
  record(event: AuditEvent, fields: AuditFields): void;
}

/** The sign-in method of a log-in event: the field when given (social, email), else what its factor says. */
const signInMethod = (fields: AuditFields): string =>
  fields.method ?? (fields.factor === 'passkey' ? 'passkey' : fields.factor ? 'second_factor' : 'password');

/** The metrics (lib/metrics.ts) an audit event counts: one place, so no event is counted twice or missed. */
function countMetricsOf(event: AuditEvent, fields: AuditFields): void {
  if (event === 'logged_in') countMetric('SignIns', { method: signInMethod(fields), outcome: 'success' });
  else if (event === 'login_failed' || event === 'mfa_failed') {
    countMetric('SignIns', {
      method: event === 'mfa_failed' ? 'second_factor' : signInMethod(fields),
      outcome: fields.reason === 'account_disabled' ? 'disabled' : 'failure',
    });
    countMetric('FailedSignIns');
  } else if (event === 'registered') countMetric('SignUps');
  else if (event === 'rate_limited') countMetric('RateLimited', { limit: fields.limit ?? 'other' });
  else if (event === 'refresh_reuse_detected') countMetric('RefreshReuse');
  else if (event === 'mail_failed') countMetric('MailFailures');
}

/**
 * Writes audit events through the Powertools logger as `{"message":"audit","event":…}` lines, and
 * counts the metrics they stand for (sign-ins, sign-ups, 429s, refresh reuse, mail failures).
 */
export function createAuditLog(logger: Logger): AuditLog {
  return {
    record(event, fields) {
      logger.info('audit', { event, ...fields });
      countMetricsOf(event, fields);
    },
  };
}
