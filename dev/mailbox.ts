import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import startSesEmulator from 'aws-ses-v2-local';

/** A mail as the SES v2 emulator's `GET /store` lists it. */
export interface StoredMail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

export interface Mailbox {
  /** The emulator's page (the mailbox) and SES v2 endpoint: `AWS_ENDPOINT_URL_SESV2`. */
  url: string;
  port: number;
  /** Every mail sent so far, oldest first. */
  mails(): Promise<StoredMail[]>;
  close(): Promise<void>;
}

/**
 * The local twin of Amazon SES: `aws-ses-v2-local` serves the SES v2 API, keeps what it is sent,
 * shows it on its page and returns it from `GET /store`. `port` 0 picks a free one.
 */
export async function startMailbox(options: { port?: number; host?: string } = {}): Promise<Mailbox> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = await startSesEmulator({ host, port: options.port ?? 0 });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  return {
    url,
    port,
    async mails() {
      const response = await fetch(`${url}/store`);
      return ((await response.json()) as { emails: StoredMail[] }).emails;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
