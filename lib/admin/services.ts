import { createAuditLog } from '../audit';
import { type BaseConfig, parseBaseConfig } from '../config';
import { createDatastore } from '../datastore';
import { createExportStore } from '../export/store';
import { createKeys } from '../keys';
import { createLogger } from '../logger';
import type { ServiceOverrides } from '../services';
import { type Admin, createAdmin } from './service';
import { createAdminStore } from './store';

/** What the admin functions need. */
export interface AdminServices {
  config: BaseConfig;
  admin: Admin;
}

/** Composition root of the admin functions: the datastore, the audit log, the admin store and the export reader. */
export function createAdminServices(config: BaseConfig, overrides: ServiceOverrides = {}): AdminServices {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const datastore = createDatastore(config.datastore);
  const keys = createKeys(config.keyPrefix, config.auditRetentionDays * 86_400_000);
  return {
    config,
    admin: createAdmin({
      store: createAdminStore(datastore, keys),
      exports: createExportStore(datastore, keys),
      audit: createAuditLog(logger),
      now: overrides.now ?? Date.now,
    }),
  };
}

/** The admin functions' services, from an environment. */
export const adminServices = (env: Record<string, string | undefined>): AdminServices =>
  createAdminServices(parseBaseConfig(env));
