import { endpoint, ok } from '../lib/http';
import { type Services, services } from '../lib/services';
import { UpdateProfileBody } from '../lib/validation';

/** PATCH /users/me — merge-patch the name and/or email (an email change needs the current password). */
export const createHandler = ({ http, accounts }: Services) =>
  endpoint(http, { auth: true, body: UpdateProfileBody, mergePatch: true }, async ({ caller, body }) =>
    ok(await accounts.updateProfile(caller, body)),
  );

export const handler = createHandler(services());
