import nodemailer from "nodemailer";
import { getHubConfig } from "@/server/config";

/** Sends one plain-text e-mail; throws when the mail server refuses or cannot be reached. */
export type Mailer = { send(message: { to: string; subject: string; text: string }): Promise<void>; close(): void };

export function createMailer({ smtpUrl, from }: { smtpUrl: string; from: string }): Mailer {
  // A mail server that stops answering must not stall the background pass that drains the outbox.
  const transport = nodemailer.createTransport(smtpUrl, {
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  return {
    async send(message) {
      await transport.sendMail({ from, ...message });
    },
    close: () => transport.close(),
  };
}

const globalForMail = globalThis as unknown as { flipMailer?: Mailer | null };

/** This process's mailer from FLIP_SMTP_URL and FLIP_MAIL_FROM; null when no mail server is configured. */
export function getMailer(): Mailer | null {
  if (globalForMail.flipMailer === undefined) {
    const { FLIP_SMTP_URL, FLIP_MAIL_FROM } = getHubConfig();
    globalForMail.flipMailer = FLIP_SMTP_URL ? createMailer({ smtpUrl: FLIP_SMTP_URL, from: FLIP_MAIL_FROM }) : null;
  }
  return globalForMail.flipMailer;
}
