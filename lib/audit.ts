import type { Logger } from '@aws-lambda-powertools/logger';

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
    | 'account_disabled';
  /** The second factor a log-in used (or the passkey that was the log-in). */
  factor?: 'totp' | 'recovery_code' | 'passkey';
  /** Why a passkey ceremony was refused. */
  passkeyReason?: string;
  /** The kind of mail (never its address or link). */
  mail?: 'verify-email' | 'password-reset' | 'email-changed';
  limit?:
    | 'login_ip'
    | 'register_ip'
    | 'login_account'
    | 'login_account_ceiling'
    | 'reauth_account'
    | 'reset_ip'
    | 'email_change';
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

/** Writes audit events through the Powertools logger as `{"message":"audit","event":…}` lines. */
export function createAuditLog(logger: Logger): AuditLog {
  return {
    record(event, fields) {
      logger.info('audit', { event, ...fields });
    },
  };
}
