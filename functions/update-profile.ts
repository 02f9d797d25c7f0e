import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type AccountServices, lambdaHandler, profileServices } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';
import { UpdateProfileBody } from '../lib/validation';

/** PATCH /users/me — merge-patch the name and/or email (an email change needs the current password). */
export const createHandler = ({ http, accounts }: AccountServices) =>
  endpoint(
    withBearerAuth(http),
    routeOf('update-profile'),
    UpdateProfileBody,
    async ({ caller, body, client }) => accounts.updateProfile(caller, body, client),
  );

export const handler = lambdaHandler(profileServices, createHandler);
