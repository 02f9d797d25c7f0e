import { parseBaseConfig } from '../config';
import { type BaseServices, createBaseServices } from '../services';
import { type AccountExport, createAccountExport } from './service';
import { createExportStore } from './store';

/** The first tier and the self-service export. */
export interface ExportServices extends BaseServices {
  accountExport: AccountExport;
}

/** Adds the export to the first tier. */
export const exportTier = (base: BaseServices): Pick<ExportServices, 'accountExport'> => ({
  accountExport: createAccountExport({ store: createExportStore(base.datastore, base.keys), now: base.now }),
});

/** The export function's services, from an environment. */
export const exportServices = (env: Record<string, string | undefined>): ExportServices => {
  const base = createBaseServices(parseBaseConfig(env));
  return { ...base, ...exportTier(base) };
};
