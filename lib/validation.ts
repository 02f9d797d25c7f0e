import emailValidator from 'email-validator';
import * as z from 'zod/mini';
import { PASSWORD_MAX_LENGTH } from './config';
import { bodyReader, READ_BODY, SCHEMA_NAME } from './request-body';
import { SESSION_ID_PATTERN } from './sessions/store';

/** Counts Unicode code points, not UTF-16 units: "é" and "😀" are one character each. */
export const codePointLength = (text: string): number => [...text].length;

/** Canonical email: trim → NFKC → lowercase. Uniqueness and log-in compare this form. */
export const canonicalEmail = (email: string): string => email.trim().normalize('NFKC').toLowerCase();

/**
 * Control, format and separator characters (bidi overrides, zero-width characters, line
 * separators), default-ignorable code points (the Hangul fillers U+115F, U+1160, U+3164, U+FFA0
 * among them), private-use and unassigned code points, and the blank Braille pattern U+2800: what
 * renders as nothing, or as nothing anyone agreed on.
 */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Co}\p{Cn}\u2800]/u;
/** A name must show something: at least one letter or digit. */
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/**
 * Builds a schema at once. Each export wraps its schema in a pure-annotated `schema(() => …)`
 * call, so esbuild drops every schema a function does not use (zod/mini's own calls are not
 * marked pure): refresh-session bundles its one-field schema, not every body and the email validator.
 */
const schema = <T>(build: () => T): T => build();

/**
 * A request body schema, built like `schema`, carrying its name for the route table's check and its
 * reader (`READ_BODY`: wire format, then this schema), which lib/http.ts calls.
 */
const bodySchema = <T extends object>(name: string, build: () => T): T => {
  const built = build();
  return Object.defineProperties(built, {
    [SCHEMA_NAME]: { value: name },
    [READ_BODY]: { value: bodyReader(built as unknown as z.ZodMiniType) },
  });
};

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
        'must not contain control, format, separator, invisible, private-use or unassigned characters',
      ),
      z.refine(
        (name: string) => name === '' || LETTER_OR_DIGIT.test(name),
        'must contain a letter or a digit',
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

/** A known-device token (lib/accounts/known-devices.ts), as a log-in handed it out. */
const DeviceToken = () => text().check(z.maxLength(256, 'is too long'));

export const LoginBody = /* @__PURE__ */ bodySchema('LoginBody', () =>
  z.strictObject({ email: Email, password: PresentedPassword, deviceToken: z.optional(DeviceToken()) }),
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

export const RevertEmailChangeBody = /* @__PURE__ */ bodySchema('RevertEmailChangeBody', () =>
  z.strictObject({ token: LinkToken() }),
);
export type RevertEmailChangeBody = z.infer<typeof RevertEmailChangeBody>;

export const PasswordResetBody = /* @__PURE__ */ bodySchema('PasswordResetBody', () =>
  z.strictObject({ email: Email }),
);
export type PasswordResetBody = z.infer<typeof PasswordResetBody>;

export const PasswordResetConfirmBody = /* @__PURE__ */ bodySchema('PasswordResetConfirmBody', () =>
  z.strictObject({
    token: LinkToken(),
    newPassword: Password,
    /** Remove every passkey too (always done when the address was never proved). */
    removePasskeys: z.optional(z.boolean({ error: 'must be a boolean' })),
  }),
);
export type PasswordResetConfirmBody = z.infer<typeof PasswordResetConfirmBody>;

export const EmailSignInBody = /* @__PURE__ */ bodySchema('EmailSignInBody', () =>
  z.strictObject({ email: Email }),
);
export type EmailSignInBody = z.infer<typeof EmailSignInBody>;

/**
 * A sign-in mail's link token, or its address and 6-digit code. A code of another shape is not
 * refused here: it is counted and answered as a wrong code (401), as any guess is.
 */
export const EmailSignInConfirmBody = /* @__PURE__ */ bodySchema('EmailSignInConfirmBody', () =>
  z
    .strictObject({
      token: z.optional(LinkToken()),
      email: z.optional(Email),
      code: z.optional(text().check(z.minLength(1, 'must not be empty'), z.maxLength(16, 'is too long'))),
    })
    .check(
      z.superRefine((body, ctx) => {
        const byToken = body.token !== undefined;
        const byCode = body.email !== undefined || body.code !== undefined;
        if (byToken === byCode) {
          ctx.addIssue({
            code: 'custom',
            path: [],
            message: 'must carry either token, or email and code',
            input: body,
          });
        } else if (byCode && (body.email === undefined || body.code === undefined)) {
          ctx.addIssue({
            code: 'custom',
            path: [body.email === undefined ? 'email' : 'code'],
            message: 'is required with a code',
            input: body,
          });
        }
      }),
    ),
);
export type EmailSignInConfirmBody = z.infer<typeof EmailSignInConfirmBody>;

/** The current password alone: TOTP enrollment and removal, new recovery codes. */
export const CurrentPasswordBody = /* @__PURE__ */ bodySchema('CurrentPasswordBody', () =>
  z.strictObject({ currentPassword: z.optional(PresentedPassword) }),
);
export type CurrentPasswordBody = z.infer<typeof CurrentPasswordBody>;

/** A code from an authenticator app: six digits (anything else is refused as a wrong code, 400). */
const TotpCode = () => text().check(z.minLength(1, 'must not be empty'), z.maxLength(16, 'is too long'));
const RecoveryCode = () => text().check(z.minLength(1, 'must not be empty'), z.maxLength(64, 'is too long'));

/**
 * The password and the current second factor (turning TOTP off, new recovery codes): a TOTP code
 * or a recovery code, at most one (needed while TOTP is on).
 */
export const CurrentFactorBody = /* @__PURE__ */ bodySchema('CurrentFactorBody', () =>
  z
    .strictObject({
      currentPassword: PresentedPassword,
      code: z.optional(TotpCode()),
      recoveryCode: z.optional(RecoveryCode()),
    })
    .check(
      z.superRefine((body, ctx) => {
        if (body.code !== undefined && body.recoveryCode !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [],
            message: 'must carry at most one of code, recoveryCode',
            input: body,
          });
        }
      }),
    ),
);
export type CurrentFactorBody = z.infer<typeof CurrentFactorBody>;

/** Passkey creation options: the current password, which a session opened in the last minutes may omit. */
export const PasskeyOptionsBody = /* @__PURE__ */ bodySchema('PasskeyOptionsBody', () =>
  z.strictObject({ currentPassword: z.optional(PresentedPassword) }),
);
export type PasskeyOptionsBody = z.infer<typeof PasskeyOptionsBody>;

export const TotpCodeBody = /* @__PURE__ */ bodySchema('TotpCodeBody', () =>
  z.strictObject({ code: TotpCode() }),
);
export type TotpCodeBody = z.infer<typeof TotpCodeBody>;

export const MfaLoginBody = /* @__PURE__ */ bodySchema('MfaLoginBody', () =>
  z
    .strictObject({
      mfaToken: text().check(z.minLength(1, 'must not be empty'), z.maxLength(512, 'is too long')),
      code: z.optional(TotpCode()),
      recoveryCode: z.optional(RecoveryCode()),
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
const CeremonyResponse = () => z.looseObject({});

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
