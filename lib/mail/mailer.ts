import type { RenderedMail } from './messages';

/** Sends one rendered mail; throws when the mail service refuses or cannot be reached. */
export interface Mailer {
  send(mail: RenderedMail): Promise<void>;
}

/**
 * Amazon SES v2 `SendEmail` from `from` (a verified SES identity). The SDK is the one the Lambda
 * runtime provides, loaded on first use and never bundled (≈527 KiB). Locally `npm start` and the
 * tests point it at the SES v2 emulator with `AWS_ENDPOINT_URL_SESV2`; the same code runs in both.
 */
export function createSesMailer(from: string): Mailer {
  let client: import('@aws-sdk/client-sesv2').SESv2Client | undefined;
  return {
    async send(mail) {
      const { SESv2Client, SendEmailCommand } = await import('@aws-sdk/client-sesv2');
      client ??= new SESv2Client({ maxAttempts: 2 });
      await client.send(
        new SendEmailCommand({
          FromEmailAddress: from,
          Destination: { ToAddresses: [mail.to] },
          Content: {
            Simple: {
              Subject: { Data: mail.subject, Charset: 'UTF-8' },
              Body: {
                Text: { Data: mail.text, Charset: 'UTF-8' },
                Html: { Data: mail.html, Charset: 'UTF-8' },
              },
            },
          },
        }),
      );
    },
  };
}
