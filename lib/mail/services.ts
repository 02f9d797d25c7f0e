import { type AuditLog, createAuditLog } from '../audit';
import { type BaseConfig, parseBaseConfig } from '../config';
import { createDatastore } from '../datastore';
import { codeHashKey } from '../email-sign-in/pair';
import { createEmailSignInIssuer } from '../email-sign-in/store';
import { createKeys } from '../keys';
import { createLogger } from '../logger';
import { createNoticeStore } from '../notices/store';
import { createMailLimit } from '../rate-limits';
import { createMailLinks } from '../recovery/store';
import type { ServiceOverrides } from '../services';
import { createSesMailer, type Mailer } from './mailer';
import { createMailService, type MailService } from './service';

/** What the mail function needs: the mail service and the audit log. */
export interface MailServices {
  config: BaseConfig;
  mail: MailService;
  audit: AuditLog;
}

/** Composition root of the mail function: link issuing, the per-address limit, SES. */
export function createMailServices(
  config: BaseConfig,
  overrides: ServiceOverrides & { mailer?: Mailer } = {},
): MailServices {
  const now = overrides.now ?? Date.now;
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const datastore = createDatastore(config.datastore);
  const keys = createKeys(config.keyPrefix);
  const audit = createAuditLog(logger);
  const limit = createMailLimit(datastore, keys, config.rateLimits.mailPerAddress);
  const mail = createMailService({
    links: createMailLinks(datastore, keys, config.mail),
    signIns: createEmailSignInIssuer(datastore, keys, {
      codeKey: codeHashKey(config.totpEncryptionKey),
      ttlSeconds: config.emailSignIn.ttlSeconds,
    }),
    notices: createNoticeStore(datastore, keys),
    mailer: overrides.mailer ?? createSesMailer(config.mail.from),
    mayMail: (address) => limit.mayMail(address),
    audit,
    settings: { ...config.mail, emailSignIn: config.emailSignIn, notifyNewDevice: config.notifyNewDevice },
    now,
  });
  return { config, mail, audit };
}

/** The mail function's services, from an environment. */
export const mailServices = (env: Record<string, string | undefined>): MailServices =>
  createMailServices(parseBaseConfig(env));
