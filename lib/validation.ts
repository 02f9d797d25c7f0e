import emailValidator from 'email-validator';
import * as z from 'zod/mini';
import { PASSWORD_MAX_LENGTH } from './config';
import { SCHEMA_NAME } from './request-body';
import { SESSION_ID_PATTERN } from './sessions';

/** Counts Unicode code points, not UTF-16 units: "é" and "😀" are one character each. */
export const codePointLength = (text: string): number => [...text].length;

/** Canonical email: trim → NFKC → lowercase. Uniqueness and log-in compare this form. */
export const canonicalEmail = (email: string): string => email.trim().normalize('NFKC').toLowerCase();

/** Control, format and separator characters: bidi overrides, zero-width characters, line separators. */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * Builds a schema at once. Each export wraps its schema in a pure-annotated `schema(() => …)`
 * call, so esbuild drops every schema a function does not use (zod/mini's own calls are not
 * marked pure): refresh-session bundles its one-field schema, not every body and the email validator.
 */
const schema = <T>(build: () => T): T => build();

/** A request body schema, built like `schema` and carrying its name for the route table's check. */
const bodySchema = <T extends object>(name: string, build: () => T): T =>
  Object.defineProperty(build(), SCHEMA_NAME, { value: name });

const text = () => z.string({ error: 'must be a string' });
const maxCodePoints = (max: number) =>
  z.refine<string>((value) => codePointLength(value) <= max, `must be at most ${max} characters`);

export const Name = /* @__PURE__ */ schema(() =>
  z
    .pipe(
      text(),
      z.transform((name: string) => name.trim()),
    )
    .check(
      z.refine((name: string) => codePointLength(name) >= 1, 'must not be empty'),
      maxCodePoints(100),
      z.refine(
        (name: string) => !INVISIBLE_OR_CONTROL.test(name),
        'must not contain control, format or separator characters',
      ),
    ),
);

export const Email = /* @__PURE__ */ schema(() =>
  z.pipe(text(), z.transform(canonicalEmail)).check(
    z.refine((email: string) => email.length <= 254, 'must be at most 254 characters'),
    z.refine((email: string) => emailValidator.validate(email), 'must be a valid email address'),
  ),
);

/**
 * Shape of a new password field only (type and maximum length). The policy that needs context
 * (minimum length, common list, equal to email/name) is `passwords.checkPasswordPolicy`.
 * Never trimmed: whitespace is part of the secret.
 */
export const Password = /* @__PURE__ */ schema(() => text().check(maxCodePoints(PASSWORD_MAX_LENGTH)));

/** A password presented for verification: any non-empty string up to the maximum, no policy. */
export const PresentedPassword = /* @__PURE__ */ schema(() =>
  text().check(z.minLength(1, 'must not be empty'), maxCodePoints(PASSWORD_MAX_LENGTH)),
);

export const RegisterBody = /* @__PURE__ */ bodySchema('RegisterBody', () =>
  z.strictObject({ name: Name, email: Email, password: Password }),
);
export type RegisterBody = z.infer<typeof RegisterBody>;

export const LoginBody = /* @__PURE__ */ bodySchema('LoginBody', () =>
  z.strictObject({ email: Email, password: PresentedPassword }),
);
export type LoginBody = z.infer<typeof LoginBody>;

export const RefreshBody = /* @__PURE__ */ bodySchema('RefreshBody', () =>
  z.strictObject({
    refreshToken: text().check(z.minLength(1, 'must not be empty'), z.maxLength(512, 'is too long')),
  }),
);
export type RefreshBody = z.infer<typeof RefreshBody>;

export const UpdateProfileBody = /* @__PURE__ */ bodySchema('UpdateProfileBody', () =>
  z
    .strictObject({
      name: z.optional(Name),
      email: z.optional(Email),
      currentPassword: z.optional(PresentedPassword),
    })
    .check(
      z.superRefine((body, ctx) => {
        if (body.name === undefined && body.email === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [],
            message: 'must change at least one of name, email',
            input: body,
          });
        }
      }),
    ),
);
export type UpdateProfileBody = z.infer<typeof UpdateProfileBody>;

export const ChangePasswordBody = /* @__PURE__ */ bodySchema('ChangePasswordBody', () =>
  z.strictObject({
    // Omitted only by an account without a password (then a fresh session sets the first one).
    currentPassword: z.optional(PresentedPassword),
    newPassword: Password,
  }),
);
export type ChangePasswordBody = z.infer<typeof ChangePasswordBody>;

export const DeleteAccountBody = /* @__PURE__ */ bodySchema('DeleteAccountBody', () =>
  z.strictObject({ password: z.optional(PresentedPassword) }),
);
export type DeleteAccountBody = z.infer<typeof DeleteAccountBody>;

/** A mailed link's token: base64url, as `tokens.newLinkToken` makes them (256 bits). */
const LinkToken = () => text().check(z.minLength(1, 'must not be empty'), z.maxLength(512, 'is too long'));

export const VerifyEmailBody = /* @__PURE__ */ bodySchema('VerifyEmailBody', () =>
  z.strictObject({ token: LinkToken() }),
);
export type VerifyEmailBody = z.infer<typeof VerifyEmailBody>;

export const PasswordResetBody = /* @__PURE__ */ bodySchema('PasswordResetBody', () =>
  z.strictObject({ email: Email }),
);
export type PasswordResetBody = z.infer<typeof PasswordResetBody>;

export const PasswordResetConfirmBody = /* @__PURE__ */ bodySchema('PasswordResetConfirmBody', () =>
  z.strictObject({ token: LinkToken(), newPassword: Password }),
);
export type PasswordResetConfirmBody = z.infer<typeof PasswordResetConfirmBody>;

/** The current password alone: TOTP enrollment and removal, new recovery codes. */
export const CurrentPasswordBody = /* @__PURE__ */ bodySchema('CurrentPasswordBody', () =>
  z.strictObject({ currentPassword: z.optional(PresentedPassword) }),
);
export type CurrentPasswordBody = z.infer<typeof CurrentPasswordBody>;

/** A code from an authenticator app: six digits (anything else is refused as a wrong code, 400). */
const TotpCode = () => text().check(z.minLength(1, 'must not be empty'), z.maxLength(16, 'is too long'));

export const TotpCodeBody = /* @__PURE__ */ bodySchema('TotpCodeBody', () =>
  z.strictObject({ code: TotpCode() }),
);
export type TotpCodeBody = z.infer<typeof TotpCodeBody>;

export const MfaLoginBody = /* @__PURE__ */ bodySchema('MfaLoginBody', () =>
  z
    .strictObject({
      mfaToken: text().check(z.minLength(1, 'must not be empty'), z.maxLength(512, 'is too long')),
      code: z.optional(TotpCode()),
      recoveryCode: z.optional(
        text().check(z.minLength(1, 'must not be empty'), z.maxLength(64, 'is too long')),
      ),
    })
    .check(
      z.superRefine((body, ctx) => {
        if ((body.code === undefined) === (body.recoveryCode === undefined)) {
          ctx.addIssue({
            code: 'custom',
            path: [],
            message: 'must carry exactly one of code, recoveryCode',
            input: body,
          });
        }
      }),
    ),
);
export type MfaLoginBody = z.infer<typeof MfaLoginBody>;

/** A WebAuthn ceremony's response as @simplewebauthn/browser hands it over (checked by the verifier). */
const CeremonyResponse = () => z.record(z.string(), z.unknown());

export const AddPasskeyBody = /* @__PURE__ */ bodySchema('AddPasskeyBody', () =>
  z.strictObject({ response: CeremonyResponse(), name: z.optional(Name) }),
);
export type AddPasskeyBody = z.infer<typeof AddPasskeyBody>;

export const PasskeyLoginBody = /* @__PURE__ */ bodySchema('PasskeyLoginBody', () =>
  z.strictObject({ response: CeremonyResponse() }),
);
export type PasskeyLoginBody = z.infer<typeof PasskeyLoginBody>;

/** A passkey's id in a path: its credential id, base64url. */
export const PasskeyId = /* @__PURE__ */ schema(() => z.string().check(z.regex(/^[A-Za-z0-9_-]{1,1400}$/)));

export const SessionId = /* @__PURE__ */ schema(() => z.string().check(z.regex(SESSION_ID_PATTERN)));

export { fieldErrors, parseBody } from './request-body';

/** The app's PKCE challenge: S256, base64url of a SHA-256 (43 characters). */
const CodeChallenge = () =>
  text().check(z.regex(/^[A-Za-z0-9_-]{43}$/, 'must be an S256 code challenge (43 base64url characters)'));

export const OAuthStartBody = /* @__PURE__ */ bodySchema('OAuthStartBody', () =>
  z.strictObject({
    redirectUri: text().check(
      z.maxLength(2048, 'is too long'),
      z.refine(
        (uri: string) => URL.canParse(uri) && /^https?:$/.test(new URL(uri).protocol) && !uri.includes('#'),
        'must be an absolute http(s) URL without a fragment',
      ),
    ),
    codeChallenge: CodeChallenge(),
  }),
);
export type OAuthStartBody = z.infer<typeof OAuthStartBody>;

export const OAuthSignInBody = /* @__PURE__ */ bodySchema('OAuthSignInBody', () =>
  z.strictObject({
    code: text().check(z.minLength(1, 'must not be empty'), z.maxLength(512, 'is too long')),
    // RFC 7636: 43–128 characters of [A-Z a-z 0-9 - . _ ~].
    codeVerifier: text().check(
      z.regex(/^[A-Za-z0-9._~-]{43,128}$/, 'must be a PKCE code verifier (43–128 characters)'),
    ),
  }),
);
export type OAuthSignInBody = z.infer<typeof OAuthSignInBody>;

/** A linked identity's id in a path. */
export const IdentityId = /* @__PURE__ */ schema(() => z.string().check(z.regex(/^idn_[A-Za-z0-9_-]{22}$/)));
