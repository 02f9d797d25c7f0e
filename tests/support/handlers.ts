import * as addPasskey from '../../functions/add-passkey';
import * as changePassword from '../../functions/change-password';
import * as completeMfaLogin from '../../functions/complete-mfa-login';
import * as confirmEmailSignIn from '../../functions/confirm-email-sign-in';
import * as confirmPasswordReset from '../../functions/confirm-password-reset';
import * as confirmTotp from '../../functions/confirm-totp';
import * as deleteAccount from '../../functions/delete-account';
import * as deletePasskey from '../../functions/delete-passkey';
import * as disableTotp from '../../functions/disable-totp';
import * as getProfile from '../../functions/get-profile';
import * as getSecurity from '../../functions/get-security';
import * as jwks from '../../functions/jwks';
import * as listPasskeys from '../../functions/list-passkeys';
import * as listSessions from '../../functions/list-sessions';
import * as login from '../../functions/login';
import * as logout from '../../functions/logout';
import * as notFound from '../../functions/not-found';
import * as openIdConfiguration from '../../functions/openid-configuration';
import * as passkeyLogin from '../../functions/passkey-login';
import * as passkeyLoginOptions from '../../functions/passkey-login-options';
import * as passkeyRegistrationOptions from '../../functions/passkey-registration-options';
import * as refreshSession from '../../functions/refresh-session';
import * as register from '../../functions/register';
import * as renewRecoveryCodes from '../../functions/renew-recovery-codes';
import * as requestEmailSignIn from '../../functions/request-email-sign-in';
import * as requestPasswordReset from '../../functions/request-password-reset';
import * as resendVerification from '../../functions/resend-verification';
import * as revertEmailChange from '../../functions/revert-email-change';
import * as revokeAllSessions from '../../functions/revoke-all-sessions';
import * as revokeSession from '../../functions/revoke-session';
import * as startTotpEnrollment from '../../functions/start-totp-enrollment';
import * as updateProfile from '../../functions/update-profile';
import * as verifyEmail from '../../functions/verify-email';
import type { Services } from '../../lib/services';

/** Every endpoint's real handler, built on one set of services (each function's `createHandler`). */
export function createHandlers(services: Services) {
  return {
    register: register.createHandler(services),
    login: login.createHandler(services),
    refresh: refreshSession.createHandler(services),
    me: getProfile.createHandler(services),
    update: updateProfile.createHandler(services),
    password: changePassword.createHandler(services),
    remove: deleteAccount.createHandler(services),
    list: listSessions.createHandler(services),
    logout: logout.createHandler(services),
    revoke: revokeSession.createHandler(services),
    revokeAll: revokeAllSessions.createHandler(services),
    jwks: jwks.createHandler(services),
    openIdConfiguration: openIdConfiguration.createHandler(services),
    fallback: notFound.createHandler(services),
    resendVerification: resendVerification.createHandler(services),
    verifyEmail: verifyEmail.createHandler(services),
    revertEmail: revertEmailChange.createHandler(services),
    requestReset: requestPasswordReset.createHandler(services),
    confirmReset: confirmPasswordReset.createHandler(services),
    security: getSecurity.createHandler(services),
    startTotp: startTotpEnrollment.createHandler(services),
    confirmTotp: confirmTotp.createHandler(services),
    disableTotp: disableTotp.createHandler(services),
    recoveryCodes: renewRecoveryCodes.createHandler(services),
    mfaLogin: completeMfaLogin.createHandler(services),
    passkeyOptions: passkeyRegistrationOptions.createHandler(services),
    addPasskey: addPasskey.createHandler(services),
    listPasskeys: listPasskeys.createHandler(services),
    deletePasskey: deletePasskey.createHandler(services),
    passkeyLoginOptions: passkeyLoginOptions.createHandler(services),
    passkeyLogin: passkeyLogin.createHandler(services),
    requestEmailSignIn: requestEmailSignIn.createHandler(services),
    confirmEmailSignIn: confirmEmailSignIn.createHandler(services),
  };
}
